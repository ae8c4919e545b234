package narrow.data.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Hugging Face's own tokenizer (Rust, through DJL): the reference every other encoder must match.
 * One document per call: the binding's batchEncode crashed the JVM on large batches.
 */
public final class HfOracleEncoder implements TokenEncoder {
  private final HuggingFaceTokenizer tokenizer;
  private final TokenizerInfo info;

  public HfOracleEncoder(Path tokenizerJson) {
    this.info = TokenizerJson.info(tokenizerJson);
    try {
      // no truncation or padding: the job cuts and packs itself
      this.tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson,
          Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load tokenizer " + tokenizerJson, e);
    }
  }

  @Override
  public int[] encode(String text) {
    Encoding e = tokenizer.encode(text, false, false);
    long[] ids = e.getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) out[i] = (int) ids[i];
    return out;
  }

  @Override
  public TokenizerInfo info() {
    return info;
  }

  @Override
  public String name() {
    return "oracle";
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
