package narrow.cli;

import java.util.ArrayList;
import java.util.List;
import narrow.train.CheckpointStore;

/**
 * While a run trains, Ctrl-C or a kill (SIGINT, SIGTERM: the JVM's shutdown hooks run) prints
 * what the run saved and the command that continues it; a run that ends, well or with an error,
 * prints nothing of the kind.
 */
final class InterruptNotice implements AutoCloseable {
  private final Thread hook;

  private InterruptNotice(Thread hook) {
    this.hook = hook;
  }

  /**
   * @param args the command line as given ({@code train CONF ...}), repeated with {@code --resume}
   *     in place of any {@code --resume}/{@code --overwrite}
   */
  static InterruptNotice install(CheckpointStore runDir, List<String> args, String resume) {
    String command = "jobs/narrow " + String.join(" ", shellQuoted(continuing(args, resume)));
    Thread hook = new Thread(() -> System.err.println(message(runDir, command)), "narrow-interrupt-notice");
    Runtime.getRuntime().addShutdownHook(hook);
    return new InterruptNotice(hook);
  }

  private static String message(CheckpointStore runDir, String command) {
    String latest;
    try {
      latest = runDir.latest();
    } catch (Exception e) { // the file system may be closing with the JVM
      return "narrow train: stopped; the newest checkpoint-N folder with a _SUCCESS marker under " + runDir.root()
          + " is what was saved (it could not be listed: " + e.getMessage() + "). Continue with:\n  " + command;
    }
    if (latest == null) {
      return "narrow train: stopped before its first complete checkpoint; nothing to resume. Start again with:\n  "
          + command.replaceAll(" --resume$", " --overwrite");
    }
    return "narrow train: stopped; newest complete checkpoint: " + latest + ". Continue with:\n  " + command;
  }

  /** The same arguments with {@code --resume} (the newest checkpoint) instead of --resume X or --overwrite. */
  static List<String> continuing(List<String> args, String resume) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--overwrite") || a.startsWith("--resume=")) continue;
      if (a.equals("--resume")) {
        if (resume != null && i + 1 < args.size() && args.get(i + 1).equals(resume)) i++;
        continue;
      }
      out.add(a);
    }
    out.add("--resume");
    return out;
  }

  private static List<String> shellQuoted(List<String> args) {
    return args.stream().map(a -> a.matches("[A-Za-z0-9_./:=@%+,-]+") ? a : "'" + a.replace("'", "'\\''") + "'")
        .toList();
  }

  /** The run ended by itself: no notice. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run: its notice stands
    }
  }
}
