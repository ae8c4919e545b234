package narrow;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import narrow.model.io.PythonTorch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository stands alone: its files, copied into an empty folder with nothing beside them
 * (what a user's fresh clone is), build and pass the golden tests there; and no file of it points
 * at a sibling folder of the checkout.
 */
@Slow
class StandaloneRepositoryTest {
  /** A folder beside the checkout that some machines have and users do not. */
  private static final String SIBLING = ".." + "/shared";

  @TempDir Path tmp;

  @Test
  void noFilePointsOutsideTheRepository() throws Exception {
    List<String> offenders = new ArrayList<>();
    for (Path file : repositoryFiles()) {
      if (Files.size(file) > 4 << 20) continue;
      String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
      if (text.contains(SIBLING)) offenders.add(file.toString());
    }
    assertEquals(List.of(), offenders, "files that refer to " + SIBLING);
  }

  @Test
  void aCopyWithNothingBesideItPassesTheGoldenTests() throws Exception {
    Path clone = tmp.resolve("alone").resolve("narrow");
    for (Path file : repositoryFiles()) {
      Path to = clone.resolve(file.toString());
      Files.createDirectories(to.getParent());
      Files.copy(file, to);
      if (Files.isExecutable(file)) to.toFile().setExecutable(true);
    }
    // offline: the outer build has fetched every dependency; NARROW_HF_PYTHON: the golden tests need
    // no Python, so the copy makes no venv of its own
    List<String> mvn = List.of("mvn", "-B", "-o", "test", "-Dtest=LlamaGoldenTest,OptimizerMathTest",
        "-Dsurefire.failIfNoSpecifiedTests=false");
    ProcessBuilder pb = new ProcessBuilder(mvn).directory(clone.toFile()).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("build.log").toFile());
    pb.environment().put("NARROW_HF_PYTHON", PythonTorch.python().toAbsolutePath().toString());
    Process p = pb.start();
    boolean done = p.waitFor(15, TimeUnit.MINUTES);
    if (!done) p.destroyForcibly();
    String log = Files.readString(tmp.resolve("build.log"));
    assertTrue(done && p.exitValue() == 0, "the standalone copy's build failed:\n" + tail(log, 80));
    Matcher m = Pattern.compile("Tests run: (\\d+), Failures: 0, Errors: 0, Skipped: (\\d+)\\s*$",
        Pattern.MULTILINE).matcher(log);
    int run = 0;
    int skipped = 0;
    while (m.find()) {
      run = Integer.parseInt(m.group(1));
      skipped = Integer.parseInt(m.group(2));
    }
    assertTrue(run >= 8 && skipped == 0, "golden tests run " + run + ", skipped " + skipped + ":\n" + tail(log, 40));
  }

  /** The files a clone has: tracked ones and new ones git does not ignore, relative to the root. */
  private static List<Path> repositoryFiles() throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      Assumptions.abort("git is not installed");
      throw e;
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    Assumptions.assumeTrue(p.waitFor() == 0, "not a git checkout: nothing to copy");
    List<Path> files = new ArrayList<>();
    for (String name : out.split("\0")) {
      if (!name.isEmpty() && Files.isRegularFile(Path.of(name))) files.add(Path.of(name));
    }
    assertFalse(files.isEmpty());
    return files;
  }

  private static String tail(String log, int lines) {
    List<String> all = log.lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }
}
