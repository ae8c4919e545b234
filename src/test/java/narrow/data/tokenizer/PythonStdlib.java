package narrow.data.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The Python standard library installed on this machine, as a corpus of real text files. */
final class PythonStdlib {
  /** Larger files are left out of the corpus: the 50 MB case has its own test. */
  private static final long LARGEST_FILE = 1 << 20;

  /** A corpus file and its text, decoded as the tokenize job decodes (malformed bytes: U+FFFD). */
  record Document(Path file, String text, long bytes) {}

  private PythonStdlib() {}

  /**
   * The library of {@code python3} on the PATH (sysconfig's "stdlib"), else the newest
   * {@code /usr/lib/python3.*} or {@code ~/.pyenv/versions/*}{@code /lib/python3.*}.
   */
  static Optional<Path> locate() {
    return fromPython().or(PythonStdlib::fromKnownPlaces);
  }

  /**
   * Every {@code .py} file and every other file that is UTF-8 text up to 1 MiB, outside
   * {@code site-packages} and {@code __pycache__}, in path order, until {@code byteBudget} bytes.
   */
  static List<Document> documents(Path stdlib, long byteBudget) {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(stdlib)) {
      files = walk.filter(Files::isRegularFile)
          .filter(p -> !p.toString().contains("/site-packages/"))
          .filter(p -> !p.toString().contains("/__pycache__/"))
          .sorted(Comparator.comparing(Path::toString))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Document> docs = new ArrayList<>();
    long bytes = 0;
    for (Path file : files) {
      Optional<Document> doc = document(file);
      if (doc.isEmpty()) continue;
      if (bytes + doc.get().bytes() > byteBudget) break;
      bytes += doc.get().bytes();
      docs.add(doc.get());
    }
    return docs;
  }

  private static Optional<Document> document(Path file) {
    try {
      if (Files.size(file) > LARGEST_FILE) return Optional.empty();
      byte[] bytes = Files.readAllBytes(file);
      String text = file.toString().endsWith(".py")
          ? new String(bytes, StandardCharsets.UTF_8)
          : StandardCharsets.UTF_8.newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes)).toString();
      return Optional.of(new Document(file, text, bytes.length));
    } catch (CharacterCodingException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Optional<Path> fromPython() {
    try {
      Process p = new ProcessBuilder("python3", "-c",
          "import sysconfig; print(sysconfig.get_paths()['stdlib'])")
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) return Optional.empty();
      Path dir = Path.of(out);
      return Files.isRegularFile(dir.resolve("os.py")) ? Optional.of(dir) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private static Optional<Path> fromKnownPlaces() {
    List<Path> candidates = new ArrayList<>();
    addLibraries(Path.of("/usr/lib"), candidates);
    Path pyenv = Path.of(System.getProperty("user.home"), ".pyenv", "versions");
    if (Files.isDirectory(pyenv)) {
      try (Stream<Path> versions = Files.list(pyenv)) {
        versions.forEach(v -> addLibraries(v.resolve("lib"), candidates));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return candidates.stream().max(Comparator.comparing(Path::toString));
  }

  private static void addLibraries(Path lib, List<Path> into) {
    if (!Files.isDirectory(lib)) return;
    try (Stream<Path> dirs = Files.list(lib)) {
      dirs.filter(d -> d.getFileName().toString().startsWith("python3"))
          .filter(d -> Files.isRegularFile(d.resolve("os.py")))
          .forEach(into::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
