package narrow.cli;

import narrow.study.FailurePolicy;
import org.apache.spark.SparkException;

/**
 * What fails one run of {@code narrow run} and lets the next go on: a user error (what {@link
 * Main} prints in one line with exit code 2 for a single command) or a Spark job that failed (a
 * lost executor, a barrier stage given up). Anything else is a bug and stops the grid with its trace.
 */
final class RunFailures implements FailurePolicy {
  @Override
  public String reason(Exception e) {
    Throwable user = UserErrors.find(e);
    if (user != null) return FailurePolicy.oneLine(user.getMessage());
    java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
      if (t instanceof SparkException) return FailurePolicy.oneLine("Spark job failed: " + t.getMessage());
    }
    return null;
  }
}
