package narrow.cli;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A failed Spark task as Spark's text tells it, in a {@code SparkException}'s message ("Job
 * aborted due to stage failure: ... most recent failure: Lost task 0.0 in stage 1.0 (TID 3) (host
 * executor 1): narrow.data.BrokenShard: shard ...") and in the scheduler's "Lost task" log line.
 *
 * @param stage the stage's id as Spark writes it ({@code 1.0})
 * @param className the exception the task threw
 * @param message the first line of its message
 */
record SparkTaskFailure(String stage, String className, String message) {
  private static final Pattern LOST_TASK = Pattern.compile(
      "Lost task \\S+ in stage (\\S+) \\(TID \\d+\\) \\([^()]*\\): ([\\w$.]+)(?:: ([^\\n]*))?");

  static Optional<SparkTaskFailure> in(String text) {
    if (text == null) return Optional.empty();
    Matcher m = LOST_TASK.matcher(text);
    if (!m.find()) return Optional.empty();
    return Optional.of(new SparkTaskFailure(m.group(1), m.group(2), m.group(3) == null ? m.group(2) : m.group(3)));
  }
}
