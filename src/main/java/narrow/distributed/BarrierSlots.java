package narrow.distributed;

import java.time.Duration;
import java.util.OptionalInt;
import java.util.function.IntSupplier;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import narrow.util.UserError;

/**
 * A barrier stage starts only when all its tasks can run at once, and Spark refuses it under
 * dynamic allocation; without this check a run that asks for more replicas than the cluster has
 * slots waits (then fails after spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures
 * retries). On a cluster the executors register seconds after the application starts, so the
 * check waits for them (bounded, saying so) before it counts; a shortage the settings already
 * decide is refused at once. The refusal names the cluster manager's own settings.
 */
final class BarrierSlots {
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

  private BarrierSlots() {}

  static void check(SparkContext sc, int replicas, Duration executorWait) {
    SparkConf conf = sc.getConf();
    ClusterManager manager = ClusterManager.of(sc.master());
    if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
      throw new UserError("distributed.replicas = " + replicas + " runs a Spark barrier stage, which "
          + "dynamic allocation does not support: set spark.dynamicAllocation.enabled=false and "
          + manager.advice(replicas, conf));
    }
    OptionalInt planned = manager.plannedSlots(sc.master(), conf);
    if (planned.isPresent() && planned.getAsInt() < replicas) {
      String has = manager == ClusterManager.LOCAL ? Integer.toString(planned.getAsInt())
          : "at most " + planned.getAsInt() + " by its settings";
      throw shortage(sc, replicas, has, manager);
    }
    int live = await(() -> liveSlots(sc), replicas, executorWait, PROGRESS_EVERY, (have, waited) -> System.err.println(
        "narrow train: waiting for executors: " + have + " of " + replicas + " task slots registered after "
            + waited.toSeconds() + " s (master " + sc.master() + "; distributed.executor_wait_seconds "
            + executorWait.toSeconds() + ")"));
    if (live < replicas) {
      String had = manager == ClusterManager.LOCAL ? Integer.toString(live)
          : live + " after waiting " + executorWait.toSeconds() + " s for executors to register";
      throw shortage(sc, replicas, had, manager);
    }
  }

  private static UserError shortage(SparkContext sc, int replicas, String has, ClusterManager manager) {
    SparkConf conf = sc.getConf();
    String longer = manager == ClusterManager.LOCAL ? ""
        : "; if the executors are only slow to start, raise distributed.executor_wait_seconds";
    return new UserError("distributed.replicas = " + replicas + " needs " + replicas + " task slots at once "
        + "(a barrier stage), but this Spark application has " + has + " (master " + sc.master()
        + ", spark.task.cpus=" + conf.get("spark.task.cpus", "1") + "): lower distributed.replicas, or "
        + manager.advice(replicas, conf) + longer);
  }

  /** Tasks the registered executors (local: the driver's cores) can run at once, as the barrier scheduler counts them. */
  static int liveSlots(SparkContext sc) {
    return sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile());
  }

  /** What a waiting check reports now and then: slots so far and time waited. */
  interface Progress {
    void report(int slots, Duration waited);
  }

  /**
   * Polls {@code slots} until it reaches {@code needed} or {@code max} has passed, reporting every
   * few seconds of waiting; returns the last count.
   */
  static int await(IntSupplier slots, int needed, Duration max, Duration every, Progress progress) {
    long start = System.nanoTime();
    long nextReport = every.toNanos();
    int have = slots.getAsInt();
    while (have < needed) {
      long waited = System.nanoTime() - start;
      if (waited >= max.toNanos()) break;
      if (waited >= nextReport) {
        progress.report(have, Duration.ofNanos(waited));
        nextReport += every.toNanos();
      }
      try {
        Thread.sleep(Math.min(POLL.toMillis(), Math.max(1, (max.toNanos() - waited) / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      have = slots.getAsInt();
    }
    return have;
  }
}
