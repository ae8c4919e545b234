package narrow.config;

import java.nio.file.Files;
import java.nio.file.Path;
import narrow.data.TokenizeSettings;
import narrow.data.tokenizer.TokenizerFiles;
import narrow.util.Locations;

/**
 * Where the tokenizer.json named in a config lives. {@value TokenizeSettings#DEFAULT_TOKENIZER} is
 * the copy that {@code data-prep/fetch-tokenizer.sh} caches; anything else is a path.
 */
public final class TokenizerLocation {
  private TokenizerLocation() {}

  public static Path resolve(String name) {
    if (!name.equals(TokenizeSettings.DEFAULT_TOKENIZER)) return Locations.localPath(name).toAbsolutePath();
    Path file = TokenizerFiles.defaultLlama31();
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("the Llama-3.1 tokenizer is not cached at " + file
          + "; run data-prep/fetch-tokenizer.sh (jobs/narrow does it for you), "
          + "or set data.tokenizer to your own tokenizer.json");
    }
    return file;
  }

  /** The {@code data:} section as the tokenize job takes it: its tokenizer a file. */
  public static TokenizeSettings resolved(TokenizeSettings data) {
    return data.withTokenizer(resolve(data.tokenizer()).toString());
  }
}
