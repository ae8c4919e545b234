package narrow.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Local folders that a command made for itself (staging, downloads, scratch) and removes again. */
public final class LocalFolders {
  private LocalFolders() {}

  /** Deletes {@code root} and everything under it; nothing when it does not exist. */
  public static void deleteRecursively(Path root) {
    if (!Files.exists(root)) return;
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
