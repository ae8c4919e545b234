package narrow.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progress moves while a task is still running: one task tokenizes the whole corpus, so without
 * the heartbeat's partial counts the document count would jump from 0 to the total at its end.
 */
@narrow.Slow
class JobProgressTest {
  static SparkSession spark;
  @TempDir static Path tmp;

  @BeforeAll
  static void start() {
    spark = TestSpark.start("JobProgressTest", Map.of(
        "spark.master", "local[1]",
        "spark.sql.shuffle.partitions", "1",
        "spark.executor.heartbeatInterval", "200ms"));
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void runningTasksCountBeforeTheyEnd() throws Exception {
    Path stdlib = PythonLibrary.find().orElse(null);
    Assumptions.assumeTrue(stdlib != null, "no Python standard library on this machine");
    Path tree = tmp.resolve("lib");
    PythonLibrary.copySubset(stdlib, tree, 300, false);
    String corpus = tmp.resolve("corpus").toString();
    CorpusIngest.run(spark, tree, corpus, false);
    // the oracle is the slow encoder: the single task runs for seconds
    TokenizeSettings s = new TokenizeSettings(corpus, tmp.resolve("out").toString(), List.of("Python"),
        List.of(), TokenizeSettings.Layout.PACK, 1024, 0.1, TestSpark.tokenizer().toString(),
        TokenizeSettings.Encoder.ORACLE, 0L, 0L, true, false, 1L << 20, false);
    List<String> lines = new CopyOnWriteArrayList<>();
    TokenizeResult r = TokenizeJob.run(spark, s, Duration.ofMillis(100), lines::add);

    long total = r.manifest().inputDocuments();
    Pattern count = Pattern.compile("tokenize: (\\d+)/(\\d+) .*documents/s.*tokens/s");
    boolean sawPartial = false;
    for (String line : lines) {
      Matcher m = count.matcher(line);
      assertTrue(m.find(), line);
      assertEquals(total, Long.parseLong(m.group(2)));
      long done = Long.parseLong(m.group(1));
      if (done > 0 && done < total) sawPartial = true;
    }
    assertTrue(sawPartial, "a count between 0 and " + total + " while the task ran: " + lines);
    assertTrue(lines.get(lines.size() - 1).startsWith("tokenize: " + total + "/" + total), lines.get(lines.size() - 1));
  }
}
