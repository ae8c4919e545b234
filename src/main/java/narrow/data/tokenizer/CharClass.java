package narrow.data.tokenizer;

/**
 * The character classes the Llama-3 pre-tokenizer pattern distinguishes, with the definitions of
 * the Oniguruma engine that Hugging Face runs it on: {@code \p{L}} and {@code \p{N}} are Unicode
 * general categories, {@code \s} is U+0009..U+000D, U+0085 and the Zs, Zl, Zp categories
 * (not Java's {@code \s}, which is ASCII only, nor {@link Character#isWhitespace}). The
 * oracle's Oniguruma knows Unicode 16.0, Java 17 only 13.0: {@link UnicodeUpdates} fills the gap.
 */
final class CharClass {
  static final byte LETTER = 0;
  static final byte NUMBER = 1;
  /** CR or LF: whitespace that the pattern treats apart. */
  static final byte NEWLINE = 2;
  /** Any other whitespace. */
  static final byte SPACE = 3;
  /** Everything else: punctuation, symbols, marks, controls, unassigned. */
  static final byte OTHER = 4;

  private static final byte[] ASCII = new byte[128];

  static {
    for (int c = 0; c < 128; c++) ASCII[c] = classify(c);
  }

  private CharClass() {}

  static byte of(int codePoint) {
    return codePoint < 128 ? ASCII[codePoint] : classify(codePoint);
  }

  private static byte classify(int cp) {
    if (cp == '\r' || cp == '\n') return NEWLINE;
    if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x85) return SPACE;
    switch (Character.getType(cp)) {
      case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
          Character.MODIFIER_LETTER, Character.OTHER_LETTER:
        return LETTER;
      case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER:
        return NUMBER;
      case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR:
        return SPACE;
      case Character.UNASSIGNED:
        byte newer = UnicodeUpdates.classOfUnassigned(cp);
        return newer >= 0 ? newer : OTHER;
      default:
        return OTHER;
    }
  }
}
