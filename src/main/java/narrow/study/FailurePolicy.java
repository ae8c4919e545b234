package narrow.study;

/**
 * Which exceptions of a run are the run's failure (reported in one line, the next run goes on)
 * and which are bugs (everything stops with the trace): the command line's judgement, which it
 * also applies to every other command.
 */
@FunctionalInterface
public interface FailurePolicy {
  /** The run's failure in one line, or null when {@code e} is a bug. */
  String reason(Exception e);

  /** A message of several lines (a config's list of problems) as one line. */
  static String oneLine(String message) {
    if (message == null) return "(no message)";
    return String.join("; ", message.strip().lines().map(String::strip).filter(l -> !l.isEmpty())
        .map(l -> l.startsWith("- ") ? l.substring(2) : l).toList());
  }
}
