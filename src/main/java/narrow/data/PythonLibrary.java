package narrow.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The Python standard library installed on this machine: a real, license-clean corpus of
 * Python source for the quickstart, the tests and the benchmark.
 */
public final class PythonLibrary {
  private PythonLibrary() {}

  /**
   * Asks {@code python3} where its stdlib is; else the newest {@code /usr/lib/python3.*} or
   * {@code ~/.pyenv/versions/*}{@code /lib/python3.*}.
   */
  public static Optional<Path> find() {
    for (String python : List.of("python3", "python")) {
      try {
        Process p = new ProcessBuilder(python, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])")
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0 && isStdlib(Path.of(out))) {
          return Optional.of(Path.of(out));
        }
      } catch (IOException | InterruptedException | RuntimeException e) {
        // no such interpreter: try the next, then the usual folders
      }
    }
    List<Path> candidates = new ArrayList<>(librariesIn(Path.of("/usr/lib")));
    Path pyenv = Path.of(System.getProperty("user.home"), ".pyenv", "versions");
    if (Files.isDirectory(pyenv)) {
      try (Stream<Path> versions = Files.list(pyenv)) {
        versions.forEach(v -> candidates.addAll(librariesIn(v.resolve("lib"))));
      } catch (IOException e) {
        // unreadable: no candidates there
      }
    }
    return candidates.stream().max(Comparator.comparing(Path::toString));
  }

  private static List<Path> librariesIn(Path lib) {
    if (!Files.isDirectory(lib)) return List.of();
    try (Stream<Path> dirs = Files.list(lib)) {
      return dirs.filter(d -> d.getFileName().toString().matches("python3\\.\\d+"))
          .filter(PythonLibrary::isStdlib).toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static boolean isStdlib(Path dir) {
    return Files.isRegularFile(dir.resolve("os.py")) && Files.isDirectory(dir.resolve("json"));
  }

  /**
   * Copies the first {@code maxFiles} {@code .py} files of the library (sorted paths; test suites
   * left out unless {@code withTests}; never site-packages or idlelib) into {@code target}: a
   * fixed, realistic corpus of a chosen size.
   */
  public static int copySubset(Path stdlib, Path target, int maxFiles, boolean withTests) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(stdlib)) {
      files = walk.filter(p -> p.toString().endsWith(".py") && Files.isRegularFile(p))
          .filter(p -> {
            String rel = stdlib.relativize(p).toString();
            boolean test = rel.startsWith("test") || rel.contains("/test");
            return (withTests || !test) && !rel.startsWith("site-packages")
                && !rel.startsWith("idlelib") && !rel.contains("__pycache__");
          })
          .sorted()
          .limit(maxFiles)
          .toList();
    }
    for (Path f : files) {
      Path dest = target.resolve(stdlib.relativize(f).toString());
      Files.createDirectories(dest.getParent());
      Files.copy(f, dest);
    }
    return files.size();
  }
}
