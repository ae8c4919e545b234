package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import narrow.config.ConfigException;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;

/** What fails one run of {@code narrow run} and lets the grid go on, and what is a bug that stops it. */
class RunFailuresTest {
  @Test
  void userErrorsAndFailedSparkJobsFailARunAndBugsStopTheGrid() {
    RunFailures failures = new RunFailures();
    assertEquals("x.yaml: invalid configuration; key 'train.max_steps': must be > 0", failures.reason(
        new RuntimeException(new ConfigException("x.yaml: invalid configuration\n  - key 'train.max_steps': must be > 0"))));
    assertEquals("Spark job failed: Job aborted due to stage failure: a barrier task was lost", failures.reason(
        new java.io.IOException("replicas", new SparkException("Job aborted due to stage failure: a barrier task was lost"))));
    // a user error a task threw, reaching the driver as Spark's text: its own message, as narrow train prints it
    assertEquals("shard s3a://b/part-1.parquet is broken", failures.reason(new SparkException("Job aborted due to stage "
        + "failure: Task 0 failed; most recent failure: Lost task 0.0 in stage 1.0 (TID 3) (host executor 1): "
        + "narrow.data.BrokenShard: shard s3a://b/part-1.parquet is broken\n\tat ...")));
    assertNull(failures.reason(new NullPointerException("a bug")));
    assertNull(failures.reason(new IllegalStateException("a broken invariant", new NullPointerException())));
  }
}
