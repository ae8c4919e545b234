package narrow.cli;

import java.io.StringWriter;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.layout.PatternLayout;

/** What reaches log4j2's root logger while open, as the console would show it. */
final class LogCapture implements AutoCloseable {
  private final StringWriter text = new StringWriter();
  private final LoggerContext context = (LoggerContext) LogManager.getContext(false);
  private final WriterAppender appender;

  LogCapture() {
    appender = WriterAppender.newBuilder().setName("capture-" + System.nanoTime()).setTarget(text)
        .setLayout(PatternLayout.newBuilder().withPattern("%p %c{1}: %m%n%ex").build()).build();
    appender.start();
    context.getConfiguration().getRootLogger().addAppender(appender, null, null);
    context.updateLoggers();
  }

  String text() {
    return text.toString();
  }

  @Override
  public void close() {
    context.getConfiguration().getRootLogger().removeAppender(appender.getName());
    appender.stop();
    context.updateLoggers();
  }
}
