package narrow.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code narrow} command line: one subcommand per job. */
@Command(
    name = "narrow",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Narrow language models on Apache Spark: corpus, tokenizer, training.",
    subcommands = {
        QuickstartCommand.class,
        IngestCommand.class,
        TokenizeCommand.class,
        TrainCommand.class,
        PruneCommand.class,
        MetricsCommand.class,
        RunCommand.class,
        ConfigCommand.class,
        ReportCommand.class,
    })
public final class Main {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a command line and returns its exit code; the entry point tests use. */
  public static int run(String... args) {
    return execute(commandLine(), args);
  }

  /** The benchmarks' command, shipped in a jar of its own beside the cluster jar (src/bench). */
  private static final String BENCH_COMMAND = "narrow.bench.BenchCommand";

  /** The command line, with {@code bench} where the benchmarks' jar is on the class path. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    try {
      cli.addSubcommand(Class.forName(BENCH_COMMAND).getDeclaredConstructor().newInstance());
    } catch (ClassNotFoundException e) {
      // the cluster jar alone: no benchmarks
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot create " + BENCH_COMMAND, e);
    }
    return cli.addSubcommand(new CommandLine.HelpCommand());
  }

  /** Runs {@code cli} with narrow's error reporting: exit code 2 for a user error, 1 for a bug. */
  static int execute(CommandLine cli, String... args) {
    cli.setExecutionExceptionHandler(Main::report);
    QuietTaskUserErrors.install();
    return cli.execute(args);
  }

  /**
   * Bad input is the user's to fix: say what and where in one paragraph, no stack trace.
   * Anything else is ours: keep the trace.
   */
  private static int report(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
    Throwable userError = UserErrors.find(e);
    if (userError != null) {
      cli.getErr().println("narrow " + cli.getCommandName() + ": " + userError.getMessage());
      return 2;
    }
    cli.getErr().println("narrow " + cli.getCommandName() + " failed:");
    e.printStackTrace(cli.getErr());
    return 1;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"narrow " + (v == null ? "(development build)" : v)};
    }
  }
}
