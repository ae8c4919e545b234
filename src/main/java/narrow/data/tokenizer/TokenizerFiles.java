package narrow.data.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import narrow.util.UserError;

/** Where tokenizer files live and how they are identified. */
public final class TokenizerFiles {
  private TokenizerFiles() {}

  /**
   * The Llama-3.1 tokenizer.json where {@code data-prep/fetch-tokenizer.sh} caches it:
   * {@code $NARROW_CACHE}, else {@code ~/.cache/narrow}, then
   * {@code tokenizers/llama3_1-3.7.2/tokenizer.json}.
   */
  public static Path defaultLlama31() {
    String cache = System.getenv("NARROW_CACHE");
    Path root = cache != null && !cache.isEmpty()
        ? Path.of(cache)
        : Path.of(System.getProperty("user.home"), ".cache", "narrow");
    return root.resolve("tokenizers").resolve("llama3_1-3.7.2").resolve("tokenizer.json");
  }

  /** Lower-case hex SHA-256 of {@code bytes}. */
  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** The bytes of a tokenizer file, with an error that names it when it cannot be read. */
  static byte[] read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new UserError("tokenizer file not found: " + file
          + " (data-prep/fetch-tokenizer.sh fetches the Llama-3.1 one)");
    }
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tokenizer file " + file, e);
    }
  }
}
