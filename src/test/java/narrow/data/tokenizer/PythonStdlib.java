package narrow.data.tokenizer;

import narrow.data.PythonLibrary;
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

  static Optional<Path> locate() {
    return PythonLibrary.find();
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
}
