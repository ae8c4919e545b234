package narrow.config;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the tokenizer.json named in a config lives. {@value DataConfig#DEFAULT_TOKENIZER} is the
 * copy that {@code data-prep/fetch-tokenizer.sh} caches; anything else is a path.
 */
public final class TokenizerLocation {
  /** Must match data-prep/fetch-tokenizer.sh. */
  static final String CACHED = "tokenizers/llama3_1-3.7.2/tokenizer.json";

  private TokenizerLocation() {}

  public static Path resolve(String name) {
    if (!name.equals(DataConfig.DEFAULT_TOKENIZER)) return Paths.local(name).toAbsolutePath();
    String cache = System.getenv("NARROW_CACHE");
    Path root = cache != null && !cache.isBlank()
        ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache", "narrow");
    Path file = root.resolve(CACHED);
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("the Llama-3.1 tokenizer is not cached at " + file
          + "; run data-prep/fetch-tokenizer.sh (jobs/narrow does it for you), "
          + "or set data.tokenizer to your own tokenizer.json");
    }
    return file;
  }
}
