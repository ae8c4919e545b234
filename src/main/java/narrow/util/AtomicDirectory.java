package narrow.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.*;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A local directory written under a temporary name and renamed into place on {@link #commit()}:
 * a job killed midway leaves only a {@code .tmp-*} sibling, never a folder that looks whole.
 *
 * <pre>{@code
 * try (AtomicDirectory dir = AtomicDirectory.create(target, false)) {
 *   write(dir.path().resolve("model.safetensors"));
 *   dir.commit();
 * }   // not committed: the temporary folder is deleted
 * }</pre>
 */
public final class AtomicDirectory implements AutoCloseable {
  /** How the temporary folder's name starts, beside its target. */
  public static final String TEMP_PREFIX = ".tmp-";

  private final Path target;
  private final Path temp;
  private boolean committed;

  private AtomicDirectory(Path target, Path temp) {
    this.target = target;
    this.temp = temp;
  }

  /**
   * Starts writing {@code target}. Fails when it exists and {@code overwrite} is false;
   * with {@code overwrite} the old folder is replaced only at commit.
   */
  public static AtomicDirectory create(Path target, boolean overwrite) throws IOException {
    target = target.toAbsolutePath().normalize();
    if (Files.exists(target) && !overwrite) {
      throw new FileAlreadyExistsException(target.toString(), null,
          "output exists; pass overwrite to replace it");
    }
    Files.createDirectories(target.getParent());
    Path temp = Files.createTempDirectory(target.getParent(), TEMP_PREFIX + target.getFileName() + "-");
    return new AtomicDirectory(target, temp);
  }

  /** Where to write until commit. */
  public Path path() {
    return temp;
  }

  public Path target() {
    return target;
  }

  /** Moves the finished folder into place. */
  public void commit() throws IOException {
    if (Files.exists(target)) {
      // Move the old one aside first, so there is never a moment with a half-replaced folder.
      Path old = Files.createTempDirectory(target.getParent(), ".old-" + target.getFileName() + "-");
      Files.delete(old);
      Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      deleteRecursively(old);
    } else {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    }
    committed = true;
  }

  @Override
  public void close() {
    if (!committed) deleteRecursively(temp);
  }

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
