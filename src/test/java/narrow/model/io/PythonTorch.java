package narrow.model.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A Python with torch, for checks against PyTorch itself: {@code NARROW_HF_PYTHON}, else the venv
 * the build makes ({@code target/hf-venv}, see {@code src/test/python/setup-venv.sh}), else
 * {@code /usr/bin/python3} (Debian's python3-torch). A check that cannot run says so in
 * {@code target/skipped-checks.txt}, which the build prints at its end.
 */
public final class PythonTorch {
  private PythonTorch() {}

  private static final Path VENV = Path.of("target", "hf-venv", "bin", "python");
  private static final Path SKIPPED = Path.of("target", "skipped-checks.txt");
  private static Boolean available;

  public static Path python() {
    String env = System.getenv("NARROW_HF_PYTHON");
    if (env != null && !env.isBlank()) return Path.of(env);
    return Files.isExecutable(VENV) ? VENV : Path.of("/usr/bin/python3");
  }

  public static synchronized boolean available() {
    if (available == null) available = Files.isExecutable(python()) && importable("torch");
    return available;
  }

  /** Whether {@link #python()} imports every module named (comma-separated). */
  public static boolean importable(String modules) {
    try {
      runWith(python().toString(), List.of("-c", "import " + modules));
      return true;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** Aborts the calling test unless torch is at hand, and records {@code check} as not run. */
  public static void assumeAvailable(String check) {
    if (!available()) {
      String reason = "no Python with torch (tried " + python() + "; set NARROW_HF_PYTHON)";
      recordSkipped(check, reason);
      Assumptions.abort(reason);
    }
  }

  /** Adds a line to the list of checks this build could not run. */
  public static synchronized void recordSkipped(String check, String reason) {
    try {
      Files.createDirectories(SKIPPED.getParent());
      Files.writeString(SKIPPED, check + ": " + reason + System.lineSeparator(), StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public static String run(String script, String... args) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of("-c", script));
    all.addAll(List.of(args));
    return runWith(python().toString(), all);
  }

  /** Runs {@code python} with {@code args}; returns the last line printed, or fails with all of it. */
  public static String runWith(String python, List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(python));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("python failed: " + out);
    }
    return out.strip().lines().reduce((a, b) -> b).orElse("");
  }
}
