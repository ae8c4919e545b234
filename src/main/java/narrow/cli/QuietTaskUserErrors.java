package narrow.cli;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Marker;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.filter.AbstractFilter;
import org.apache.logging.log4j.message.Message;

/**
 * Keeps out of the log what Spark writes about a task that failed with a user error: the
 * executor's ERROR with the task's stack trace, the scheduler's "Lost task" WARN with the same
 * trace as text, and its "aborting job" ERROR. The command prints the error's one line; a task
 * that failed any other way is logged as Spark logs it.
 */
final class QuietTaskUserErrors extends AbstractFilter {
  private static final Pattern ABORTING = Pattern.compile("Task \\S+ in stage (\\S+) failed \\d+ times; aborting job");
  /** Stages whose failure was a user error, so their "aborting job" line goes too. */
  private final Set<String> userErrorStages = ConcurrentHashMap.newKeySet();

  private QuietTaskUserErrors() {
    super(Filter.Result.DENY, Filter.Result.NEUTRAL);
  }

  /** Adds the filter to the log4j2 configuration in use, once. */
  static synchronized void install() {
    if (!(LogManager.getContext(false) instanceof LoggerContext context)) return;
    var config = context.getConfiguration();
    // a configuration's own filter (none in narrow's files) is left alone
    if (config.getFilter() != null) return;
    QuietTaskUserErrors filter = new QuietTaskUserErrors();
    filter.start();
    config.addFilter(filter);
  }

  // A configuration's filter is asked before the event is made, with the call's arguments:
  // Spark's logError(msg, e) and logWarning(msg) arrive through the first two.

  @Override
  public Result filter(Logger logger, Level level, Marker marker, String msg, Object... params) {
    return decide(logger.getName(), msg, null);
  }

  @Override
  public Result filter(Logger logger, Level level, Marker marker, Object msg, Throwable t) {
    return decide(logger.getName(), msg == null ? null : msg.toString(), t);
  }

  @Override
  public Result filter(Logger logger, Level level, Marker marker, Message msg, Throwable t) {
    return decide(logger.getName(), msg == null ? null : msg.getFormattedMessage(), t);
  }

  @Override
  public Result filter(LogEvent event) {
    return decide(event.getLoggerName(), event.getMessage() == null ? null : event.getMessage().getFormattedMessage(),
        event.getThrown());
  }

  private Result decide(String loggerName, String text, Throwable thrown) {
    if (loggerName == null || !loggerName.startsWith("org.apache.spark.")) return Result.NEUTRAL;
    if (thrown != null && UserErrors.find(thrown) != null) return Result.DENY;
    if (text == null) return Result.NEUTRAL;
    if (text.startsWith("Lost task")) {
      var failure = SparkTaskFailure.in(text);
      if (failure.isPresent() && UserErrors.isUserError(failure.get().className())) {
        userErrorStages.add(failure.get().stage());
        return Result.DENY;
      }
    }
    Matcher aborting = ABORTING.matcher(text);
    if (aborting.matches() && userErrorStages.contains(aborting.group(1))) return Result.DENY;
    return Result.NEUTRAL;
  }
}
