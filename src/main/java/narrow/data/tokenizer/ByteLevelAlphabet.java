package narrow.data.tokenizer;

/**
 * GPT-2's byte-level alphabet: each of the 256 byte values written as one printable character,
 * the form in which byte-level BPE vocabularies and merges spell their tokens.
 */
final class ByteLevelAlphabet {
  private static final char[] BYTE_TO_CHAR = new char[256];
  private static final int[] CHAR_TO_BYTE = new int[324];

  static {
    java.util.Arrays.fill(CHAR_TO_BYTE, -1);
    int unprintable = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      char c = printable ? (char) b : (char) (256 + unprintable++);
      BYTE_TO_CHAR[b] = c;
      CHAR_TO_BYTE[c] = b;
    }
  }

  private ByteLevelAlphabet() {}

  /** The character that stands for byte {@code b} (0..255). */
  static char charOf(int b) {
    return BYTE_TO_CHAR[b];
  }

  /** The bytes a token spelled in this alphabet stands for; empty when it is not so spelled. */
  static java.util.Optional<byte[]> bytesOf(String token) {
    byte[] out = new byte[token.length()];
    for (int i = 0; i < out.length; i++) {
      char c = token.charAt(i);
      int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
      if (b < 0) return java.util.Optional.empty();
      out[i] = (byte) b;
    }
    return java.util.Optional.of(out);
  }
}
