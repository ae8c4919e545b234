package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import narrow.config.ConfigException;
import narrow.util.UserError;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import org.junit.jupiter.api.Test;

/**
 * How a failed command is reported: input the user must fix in one clean paragraph (exit code 2),
 * anything else, an {@code IllegalArgumentException} included, with its stack trace (exit code 1).
 */
class ErrorReportingTest {
  /** A command that fails as it is told, under narrow's real error reporting. */
  @Command(name = "fail")
  static final class Failing implements Callable<Integer> {
    @Parameters(index = "0") String how;

    @Override
    public Integer call() {
      throw switch (how) {
        case "bug" -> new IllegalArgumentException("index -1 out of range");
        case "user" -> new UserError("data.input: /no/such/corpus does not exist");
        case "wrapped-config" -> new RuntimeException("while loading", new ConfigException("exp.yaml: key 'x': bad"));
        default -> new IllegalStateException(how);
      };
    }
  }

  record Report(int exit, String err) {}

  private static Report fail(String how) {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Failing());
    cli.setErr(new PrintWriter(err, true));
    int exit = Main.execute(cli, how);
    return new Report(exit, err.toString());
  }

  @Test
  void anInternalIllegalArgumentExceptionKeepsItsStackTraceAndExitCode1() {
    Report r = fail("bug");
    assertEquals(1, r.exit(), r.err());
    assertTrue(r.err().startsWith("narrow fail failed:"), r.err());
    assertTrue(r.err().contains("java.lang.IllegalArgumentException: index -1 out of range"), r.err());
    assertTrue(r.err().contains("\tat narrow.cli.ErrorReportingTest$Failing.call("), "the trace is shown:\n" + r.err());
  }

  @Test
  void aUserErrorIsItsMessageAloneAndExitCode2() {
    Report r = fail("user");
    assertEquals(2, r.exit(), r.err());
    assertEquals("narrow fail: data.input: /no/such/corpus does not exist", r.err().strip());
  }

  @Test
  void aUserErrorIsFoundUnderAWrapper() {
    Report r = fail("wrapped-config");
    assertEquals(2, r.exit(), r.err());
    assertEquals("narrow fail: exp.yaml: key 'x': bad", r.err().strip());
  }
}
