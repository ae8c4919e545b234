package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.Callable;
import narrow.util.UserError;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * A user error thrown inside a Spark task reaches the user as its one line (exit code 2), even
 * when Spark could only ship it as text, and Spark's log says nothing of it; any other failure of
 * a task keeps its trace (exit code 1) and Spark's ERROR.
 */
@narrow.Slow
class SparkTaskErrorsTest {
  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[1]").appName("task-errors")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) spark.close();
  }

  /** A user error that Spark cannot serialize (a field that is not Serializable): it arrives as text. */
  static final class Unshippable extends UserError {
    @SuppressWarnings("unused") private final Object notSerializable = new Object();

    Unshippable(String message) {
      super(message);
    }
  }

  /** A command whose Spark task fails as it is told. */
  @Command(name = "job")
  static final class FailingTask implements Callable<Integer> {
    @Parameters(index = "0") String how;

    @Override
    public Integer call() {
      String how = this.how;
      JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(List.of(1), 1).foreach(i -> {
        throw switch (how) {
          case "user" -> new UserError("shard /data/train/part-00003.parquet is missing; rebuild it");
          case "unshippable" -> new Unshippable("model.pretrained: /models/m/config.json disagrees with its tensors");
          default -> new IllegalStateException("index -1 out of range");
        };
      });
      return 0;
    }
  }

  record Report(int exit, String err, String log) {}

  private static Report run(String how) {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new FailingTask());
    cli.setErr(new PrintWriter(err, true));
    try (LogCapture log = new LogCapture()) {
      int exit = Main.execute(cli, how);
      return new Report(exit, err.toString(), log.text());
    }
  }

  @Test
  void aUserErrorInATaskIsOneLineAndSparkLogsNothingOfIt() {
    Report r = run("user");
    assertEquals(2, r.exit(), r.err());
    assertEquals("narrow job: shard /data/train/part-00003.parquet is missing; rebuild it", r.err().strip());
    assertFalse(r.log().contains("part-00003"), "Spark's log is quiet about it:\n" + r.log());
    assertFalse(r.log().contains("aborting job"), r.log());
  }

  @Test
  void aUserErrorThatArrivesAsTextIsOneLineToo() {
    Report r = run("unshippable");
    assertEquals(2, r.exit(), r.err());
    assertEquals("narrow job: model.pretrained: /models/m/config.json disagrees with its tensors", r.err().strip());
    assertFalse(r.log().contains("disagrees"), "Spark's log is quiet about it:\n" + r.log());
  }

  @Test
  void anInternalErrorInATaskKeepsItsTraceAndSparksError() {
    Report r = run("internal");
    assertEquals(1, r.exit(), r.err());
    assertTrue(r.err().startsWith("narrow job failed:"), r.err());
    assertTrue(r.err().contains("java.lang.IllegalStateException: index -1 out of range"), r.err());
    assertTrue(r.log().contains("ERROR Executor: Exception in task"), r.log());
    assertTrue(r.log().contains("aborting job"), r.log());
  }
}
