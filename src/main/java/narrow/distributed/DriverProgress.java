package narrow.distributed;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import scala.Tuple4;
import scala.collection.JavaConverters;

/**
 * The driver's end of {@link ReplicaReport}: prints replica 0's console lines as heartbeats bring
 * them, each once, and adds up the tokens every attempt trained on. Offered the accumulator's
 * final value when the stage ends, it prints what the last heartbeat had not brought.
 */
final class DriverProgress extends SparkListener {
  private final long accumulatorId;
  private final Consumer<String> console;
  private final Map<Integer, AttemptReport> known = new TreeMap<>();
  private final Map<Integer, Long> printed = new HashMap<>();

  DriverProgress(long accumulatorId, Consumer<String> console) {
    this.accumulatorId = accumulatorId;
    this.console = console;
  }

  @Override
  public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
    for (Tuple4<Object, Object, Object, scala.collection.Seq<AccumulableInfo>> task
        : JavaConverters.seqAsJavaList(update.accumUpdates())) {
      for (AccumulableInfo info : JavaConverters.seqAsJavaList(task._4())) {
        if (info.id() == accumulatorId && info.update().isDefined()) offer(reports(info.update().get()));
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<Integer, AttemptReport> reports(Object value) {
    return (Map<Integer, AttemptReport>) value;
  }

  /** Prints the lines not printed yet; a gap longer than the kept tail is said, not hidden. */
  synchronized void offer(Map<Integer, AttemptReport> reports) {
    reports.forEach((attempt, r) -> {
      AttemptReport now = AttemptReport.newer(known.get(attempt), r);
      known.put(attempt, now);
      long done = printed.getOrDefault(attempt, 0L);
      long first = now.lines() - now.tail().size() + 1;
      if (first > done + 1) {
        console.accept("(" + (first - done - 1) + " progress lines of replica 0 not relayed; its executor's log has them)");
      }
      for (long n = Math.max(first, done + 1); n <= now.lines(); n++) console.accept(now.line(n));
      printed.put(attempt, Math.max(done, now.lines()));
    });
  }

  /** Real tokens trained on by every attempt so far, lost ones included. */
  synchronized long tokens() {
    return known.values().stream().mapToLong(AttemptReport::tokens).sum();
  }
}
