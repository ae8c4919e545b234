package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import narrow.study.SharedSpark;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The grid's runs are one Spark application: a job's end leaves the session to the next run. */
@narrow.Slow
class SharedSparkTest {
  @TempDir Path dir;

  @Test
  void theRunsShareOneSparkSessionThatTheRunnerStopsAtTheEnd() throws Exception {
    java.nio.file.Files.writeString(dir.resolve("local.conf"), "spark.master local[1]\nspark.ui.enabled false\n"
        + "spark.driver.host 127.0.0.1\nspark.driver.bindAddress 127.0.0.1\n");
    SparkOptions options = new SparkOptions();
    options.propertiesFile = dir.resolve("local.conf");
    SparkSession first;
    try (SharedSpark spark = new SharedSpark(options, "narrow run test")) {
      first = spark.session("narrow train a");
      spark.release(first); // what a job does when it ends
      assertFalse(first.sparkContext().isStopped(), "the next run's job uses the same application");
      assertSame(first, spark.session("narrow prune b"));
      assertEquals("narrow run test", first.sparkContext().appName());
    }
    assertTrue(first.sparkContext().isStopped(), "the runner ends the application");
  }
}
