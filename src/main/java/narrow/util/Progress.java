package narrow.util;

import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Console progress for long work: done/total, rate and ETA, printed at most every
 * {@code interval}. Not thread-safe; one per loop.
 */
public final class Progress {
  private final String what;
  private final String unit;
  private final long total;
  private final long intervalNanos;
  private final Consumer<String> out;
  private final long start = System.nanoTime();
  private long lastPrint = start;
  private long done;

  public Progress(String what, String unit, long total, Duration interval, Consumer<String> out) {
    this.what = what;
    this.unit = unit;
    this.total = total;
    this.intervalNanos = interval.toNanos();
    this.out = out;
  }

  /** Progress to stderr every 10 seconds. */
  public static Progress console(String what, String unit, long total) {
    return new Progress(what, unit, total, Duration.ofSeconds(10), System.err::println);
  }

  /** Adds {@code n} to the count; prints when the interval has passed. */
  public void advance(long n, String extra) {
    done += n;
    long now = System.nanoTime();
    if (now - lastPrint >= intervalNanos) {
      lastPrint = now;
      out.accept(line(now, extra));
    }
  }

  public long done() {
    return done;
  }

  /** The final line, whatever the interval. */
  public void finish(String extra) {
    out.accept(line(System.nanoTime(), extra));
  }

  String line(long now, String extra) {
    double seconds = Math.max(1e-9, (now - start) / 1e9);
    double rate = done / seconds;
    StringBuilder sb = new StringBuilder(what).append(": ").append(done);
    if (total > 0) {
      sb.append('/').append(total)
          .append(String.format(Locale.ROOT, " (%.1f%%)", 100.0 * done / total));
    }
    sb.append(' ').append(unit).append(String.format(Locale.ROOT, ", %.1f %s/s", rate, unit));
    if (total > 0 && rate > 0 && done < total) {
      sb.append(", ETA ").append(formatDuration((long) ((total - done) / rate)));
    }
    sb.append(", elapsed ").append(formatDuration((long) seconds));
    if (extra != null && !extra.isEmpty()) sb.append(", ").append(extra);
    return sb.toString();
  }

  public static String formatDuration(long seconds) {
    long h = seconds / 3600, m = (seconds % 3600) / 60, s = seconds % 60;
    return h > 0 ? String.format(Locale.ROOT, "%dh%02dm%02ds", h, m, s)
        : m > 0 ? String.format(Locale.ROOT, "%dm%02ds", m, s)
        : s + "s";
  }
}
