package narrow.data;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import narrow.util.Progress;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.collection.JavaConverters;

/**
 * Documents/s, tokens/s and ETA of a running job, printed by a driver thread. A driver-side
 * accumulator only moves when a task ends, and a task here can run for many minutes; so running
 * tasks' partial values, which executors send with every heartbeat, are added to it.
 */
final class JobProgress extends SparkListener implements AutoCloseable {
  private final SparkContext sc;
  private final LongAccumulator documents;
  private final LongAccumulator tokens;
  private final Map<Long, Long> runningDocuments = new ConcurrentHashMap<>();
  private final Map<Long, Long> runningTokens = new ConcurrentHashMap<>();
  /**
   * Tasks already ended: a heartbeat sent just before a task's end can reach the listener after
   * it, and its partial count must not come back beside the merged total (seen: 591/300).
   */
  private final java.util.Set<Long> ended = ConcurrentHashMap.newKeySet();
  private final Progress progress;
  private final Thread thread;
  private final long start = System.nanoTime();
  private long shownDocuments;

  JobProgress(SparkContext sc, LongAccumulator documents, LongAccumulator tokens,
      long totalDocuments, Duration interval, Consumer<String> out) {
    this.sc = sc;
    this.documents = documents;
    this.tokens = tokens;
    this.progress = new Progress("tokenize", "documents", totalDocuments, Duration.ZERO, out);
    sc.addSparkListener(this);
    this.thread = new Thread(() -> {
      try {
        while (!Thread.currentThread().isInterrupted()) {
          Thread.sleep(interval.toMillis());
          tick();
        }
      } catch (InterruptedException e) {
        // closed
      }
    }, "tokenize-progress");
    thread.setDaemon(true);
    thread.start();
  }

  private synchronized void tick() {
    long docs = documents.value() + sum(runningDocuments);
    long toks = tokens.value() + sum(runningTokens);
    double seconds = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
    // a task's partial count can briefly vanish between its end and the merge: never go back
    long delta = Math.max(0, docs - shownDocuments);
    shownDocuments += delta;
    progress.advance(delta, String.format(Locale.ROOT, "%d tokens, %.0f tokens/s", toks, toks / seconds));
  }

  private static long sum(Map<Long, Long> m) {
    return m.values().stream().mapToLong(Long::longValue).sum();
  }

  @Override
  public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
    for (Tuple4<Object, Object, Object, scala.collection.Seq<AccumulableInfo>> task :
        JavaConverters.seqAsJavaList(update.accumUpdates())) {
      long taskId = (Long) task._1();
      if (ended.contains(taskId)) continue;
      List<AccumulableInfo> infos = JavaConverters.seqAsJavaList(task._4());
      for (AccumulableInfo info : infos) {
        if (info.update().isEmpty()) continue;
        Object v = info.update().get();
        if (!(v instanceof Long value)) continue;
        if (info.id() == documents.id()) runningDocuments.put(taskId, value);
        if (info.id() == tokens.id()) runningTokens.put(taskId, value);
      }
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    ended.add(end.taskInfo().taskId());
    runningDocuments.remove(end.taskInfo().taskId());
    runningTokens.remove(end.taskInfo().taskId());
  }

  @Override
  public void close() {
    thread.interrupt();
    sc.removeSparkListener(this);
    tick();
  }
}
