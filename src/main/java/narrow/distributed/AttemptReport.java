package narrow.distributed;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * What replica 0 of one barrier stage attempt has told so far: how many console lines (the last
 * {@link #KEPT} of them, which travel), and the real tokens its steps trained on (global, all
 * replicas). Each report is newer than those before it of the same attempt; see {@link #newer}.
 */
record AttemptReport(long lines, long tokens, List<String> tail) implements Serializable {
  /** Lines kept for the driver: a heartbeat carries them all, so they are few. */
  static final int KEPT = 100;

  static final AttemptReport EMPTY = new AttemptReport(0, 0, List.of());

  AttemptReport {
    tail = List.copyOf(tail);
  }

  AttemptReport withLine(String line) {
    List<String> t = new ArrayList<>(tail.size() < KEPT ? tail : tail.subList(1, tail.size()));
    t.add(line);
    return new AttemptReport(lines + 1, tokens, t);
  }

  AttemptReport plusTokens(long n) {
    return new AttemptReport(lines, tokens + n, tail);
  }

  /** One writer per attempt only adds, so the later report has no fewer lines and tokens. */
  static AttemptReport newer(AttemptReport a, AttemptReport b) {
    if (a == null) return b;
    if (b == null) return a;
    return b.lines > a.lines || (b.lines == a.lines && b.tokens > a.tokens) ? b : a;
  }

  /** Line number {@code n} (1-based) if it is still in the tail, else null. */
  String line(long n) {
    long first = lines - tail.size() + 1;
    return n < first || n > lines ? null : tail.get((int) (n - first));
  }
}
