package narrow.data.tokenizer;

/**
 * Text to token ids, exactly as Hugging Face's tokenizer with {@code add_special_tokens=false}
 * would give them: special tokens written literally in the text (for example
 * {@code <|end_of_text|>}) are matched as special tokens, as HF does.
 *
 * <p>Implementations are not required to be thread-safe; use one per task thread.
 */
public interface TokenEncoder extends AutoCloseable {

  /** The ids of {@code text}, without a beginning-of-text token. */
  int[] encode(String text);

  /** The tokenizer file this encoder follows: checksum, vocabulary size, special ids. */
  TokenizerInfo info();

  /** A short name for logs and manifests ("fast", "oracle"). */
  String name();

  @Override
  default void close() {}
}
