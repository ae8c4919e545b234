package narrow.data.tokenizer;

/**
 * The fast encoder and the oracle on the cached Llama-3.1 tokenizer, loaded once per test JVM:
 * every comparison test shares them instead of paying the loads again.
 */
final class TestEncoders {
  private static FastBpeEncoder fast;
  private static HfOracleEncoder oracle;

  private TestEncoders() {}

  static synchronized FastBpeEncoder fast() {
    if (fast == null) fast = new FastBpeEncoder(TokenizerFiles.defaultLlama31());
    return fast;
  }

  /** Lives until the JVM exits; the native tokenizer needs no other cleanup. */
  static synchronized HfOracleEncoder oracle() {
    if (oracle == null) oracle = new HfOracleEncoder(TokenizerFiles.defaultLlama31());
    return oracle;
  }
}
