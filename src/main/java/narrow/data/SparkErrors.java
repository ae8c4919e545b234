package narrow.data;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Spark wraps a task's failure in "Job aborted due to stage failure: Task 0 in stage 3.0 failed
 * ..." with the executor's stack trace in the text; this finds the part a user needs: our own
 * {@link TokenizeException} when a task threw one, else Spark's "error while reading file ..."
 * which names the file.
 */
final class SparkErrors {
  private SparkErrors() {}

  static TokenizeException explain(String doing, Throwable failure) {
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    String fileMessage = null;
    for (Throwable t = failure; t != null && seen.put(t, true) == null; t = t.getCause()) {
      if (t instanceof TokenizeException te) return new TokenizeException(te.getMessage(), failure);
      String m = t.getMessage();
      if (fileMessage == null && m != null && m.contains("reading file")) fileMessage = firstLine(m);
    }
    if (fileMessage == null) {
      String m = String.valueOf(failure.getMessage());
      // a TokenizeException thrown in a task arrives as text when Spark could not ship the object
      int at = m.indexOf(TokenizeException.class.getName() + ": ");
      if (at >= 0) {
        return new TokenizeException(firstLine(m.substring(at + TokenizeException.class.getName().length() + 2)), failure);
      }
      fileMessage = firstLine(m);
    }
    return new TokenizeException(doing + " failed: " + fileMessage, failure);
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
