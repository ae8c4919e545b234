package narrow.model.io;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** /usr/bin/python3 with torch, for checks against PyTorch itself. */
public final class PythonTorch {
private PythonTorch() {}

  static final String PYTHON = "/usr/bin/python3";

  public static boolean available() {
    if (!new File(PYTHON).canExecute()) return false;
    try {
      run("import torch");
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  public static String run(String script, String... args) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of("-c", script));
    all.addAll(List.of(args));
    return runWith(PYTHON, all);
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
