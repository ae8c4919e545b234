package narrow.distributed;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.SparkContext;
import org.apache.spark.util.AccumulatorV2;
import scala.Option;

/**
 * Replica 0's console lines and token count, on their way to the driver's console: an
 * accumulator, whose value executors send with every heartbeat ({@code
 * spark.executor.heartbeatInterval}, 10 s by default) and with the task's end, failed or not.
 *
 * <p>Why not a socket the driver opens for the replica: the heartbeat rides Spark's own
 * connection from executor to driver, which every cluster allows, where a port of our own is
 * closed on Kubernetes (the driver's service exposes Spark's ports only) and wherever a firewall
 * allows only those. The cost is latency: a line reaches the driver within one heartbeat interval
 * (measured in {@code DriverProgressTest}, local mode), which is also how often the trainer prints
 * its progress line.
 *
 * <p>The value is the reports by barrier stage attempt ({@link AttemptReport}), so a retried stage
 * starts counting afresh while the driver still knows what the lost attempt did.
 */
final class ReplicaReport extends AccumulatorV2<String, Map<Integer, AttemptReport>> {
  private TreeMap<Integer, AttemptReport> attempts = new TreeMap<>();
  private int attempt;

  /**
   * Registered so that a failed or killed task's value still reaches the driver (what a lost
   * attempt trained counts in the run's tokens/s). {@code register(sc, name, countFailedValues)}
   * is Spark-private in Scala, public in bytecode; {@code sc.register} would not count failed
   * tasks. Unnamed: the lines stay out of the UI and the event log.
   */
  static ReplicaReport registered(SparkContext sc) {
    ReplicaReport r = new ReplicaReport();
    r.register(sc, Option.empty(), true);
    return r;
  }

  /** Lines and tokens from now on are the barrier stage attempt {@code n}'s. */
  synchronized void begin(int n) {
    attempt = n;
    attempts.putIfAbsent(n, AttemptReport.EMPTY);
  }

  @Override
  public synchronized void add(String line) {
    attempts.put(attempt, attempts.getOrDefault(attempt, AttemptReport.EMPTY).withLine(line));
  }

  synchronized void addTokens(long n) {
    attempts.put(attempt, attempts.getOrDefault(attempt, AttemptReport.EMPTY).plusTokens(n));
  }

  @Override
  public synchronized boolean isZero() {
    return attempts.isEmpty();
  }

  @Override
  public synchronized ReplicaReport copy() {
    ReplicaReport c = new ReplicaReport();
    c.attempts = new TreeMap<>(attempts);
    c.attempt = attempt;
    return c;
  }

  @Override
  public synchronized void reset() {
    attempts = new TreeMap<>();
  }

  @Override
  public void merge(AccumulatorV2<String, Map<Integer, AttemptReport>> other) {
    Map<Integer, AttemptReport> theirs = other.value();
    synchronized (this) {
      theirs.forEach((n, r) -> attempts.merge(n, r, AttemptReport::newer));
    }
  }

  /** The heartbeat thread serializes this while the task thread adds to it. */
  private synchronized void writeObject(java.io.ObjectOutputStream out) throws java.io.IOException {
    out.defaultWriteObject();
  }

  /** A snapshot: the heartbeat thread reads it while the task adds (one JVM in local mode). */
  @Override
  public synchronized Map<Integer, AttemptReport> value() {
    return Collections.unmodifiableMap(new TreeMap<>(attempts));
  }
}
