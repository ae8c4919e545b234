package narrow.distributed;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import narrow.train.ModelSource;
import narrow.train.TrainRun;
import narrow.train.TrainingHooks;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replica 0's lines reach the driver's console while the run goes on (heartbeats every 100 ms
 * here), each once; what a heartbeat could not carry is said.
 */
@narrow.Slow
class DriverProgressTest {
  static SparkSession spark;
  static JavaSparkContext jsc;
  @TempDir Path tmp;

  /** The driver printed "step 4/8": counted down by the driver's console, awaited by replica 0. */
  static final CountDownLatch PRINTED = new CountDownLatch(1);
  static final AtomicLong LATENCY_NANOS = new AtomicLong(-1);

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("driver-progress-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.executor.heartbeatInterval", "100ms")
        .getOrCreate();
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /**
   * Replica 0 stops in step 5 until the driver has printed step 4's line (logged just before),
   * so the line can only have come with a heartbeat, not with the task's end.
   */
  @Test
  void linesReachTheDriverWhileTheReplicasTrain() throws Exception {
    Path data = narrow.train.TestShardsAccess.learnable(tmp.resolve("data"), 318, 318, 24, true, 96, 10, 1);
    List<String> console = Collections.synchronizedList(new ArrayList<>());
    ReplicaHooks waitForDriver = (rank, attempt) -> new TrainingHooks(null, (grads, step) -> {
      if (rank != 0 || step != 4) return;
      long t0 = System.nanoTime();
      try {
        if (PRINTED.await(30, TimeUnit.SECONDS)) LATENCY_NANOS.set(System.nanoTime() - t0);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, null);
    DistributedTraining.train(jsc, TrainRun.of(new ModelSource.Fresh(DistributedTrainingTest.tiny(), 13), data,
        DistributedTrainingTest.args(tmp.resolve("run"), 8, 2, 1)).withConsole(line -> {
          console.add(line);
          if (line.startsWith("step 4/8: loss")) PRINTED.countDown();
        }), new narrow.config.DistributedConfig(2, 60, 5, null), waitForDriver);
    assertTrue(LATENCY_NANOS.get() >= 0, "step 4's line was not printed while replica 0 waited 30 s:\n"
        + String.join("\n", console));
    System.out.printf("replica 0 to driver console: %.0f ms (heartbeat interval 100 ms)%n", LATENCY_NANOS.get() / 1e6);
    assertEquals(console.size(), new java.util.HashSet<>(console).size(), "each line once:\n" + console);
  }

  @Test
  void eachLineIsPrintedOnceAndAGapIsSaid() {
    List<String> printed = new ArrayList<>();
    DriverProgress p = new DriverProgress(1, printed::add);
    AttemptReport r = AttemptReport.EMPTY.withLine("a").withLine("b").plusTokens(10);
    p.offer(Map.of(0, r));
    p.offer(Map.of(0, AttemptReport.EMPTY.withLine("a"))); // an older heartbeat, late
    p.offer(Map.of(0, r.withLine("c")));
    AttemptReport many = AttemptReport.EMPTY;
    for (int i = 0; i < AttemptReport.KEPT + 5; i++) many = many.withLine("line " + i);
    p.offer(Map.of(1, many.plusTokens(5)));
    assertEquals(List.of("a", "b", "c"), printed.subList(0, 3));
    assertEquals("(5 progress lines of replica 0 not relayed; its executor's log has them)", printed.get(3));
    assertEquals("line 5", printed.get(4));
    assertEquals(3 + 1 + AttemptReport.KEPT, printed.size());
    assertEquals(15, p.tokens(), "both attempts' tokens");
  }
}
