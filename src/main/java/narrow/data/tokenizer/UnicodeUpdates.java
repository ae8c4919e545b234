package narrow.data.tokenizer;

/**
 * Letters and numbers that Unicode added after 13.0, the version Java 17's {@link Character}
 * knows, up to 16.0, the version of the Oniguruma engine inside the oracle: the code points that
 * Java 25 (Unicode 16.0) classes as a letter or number and Java 17 leaves unassigned. Found by
 * encoding every code point in a dozen contexts through the oracle: the only differences were the
 * 130 numbers listed here, new in Unicode 14 to 16 (U+10D40, Garay digits, are 16.0). The new
 * letters are listed on the same grounds; no vocabulary token contains one, so they rarely show.
 */
final class UnicodeUpdates {
  /** Sorted, disjoint triples: first code point, last code point, class. */
  private static final int[] RANGES = {
      0x870, 0x887, CharClass.LETTER, 0x889, 0x88E, CharClass.LETTER, 0x8B5, 0x8B5, CharClass.LETTER,
      0x8C8, 0x8C9, CharClass.LETTER, 0xC5D, 0xC5D, CharClass.LETTER, 0xCDD, 0xCDD, CharClass.LETTER,
      0x170D, 0x170D, CharClass.LETTER, 0x171F, 0x171F, CharClass.LETTER, 0x1B4C, 0x1B4C, CharClass.LETTER,
      0x1C89, 0x1C8A, CharClass.LETTER, 0x2C2F, 0x2C2F, CharClass.LETTER, 0x2C5F, 0x2C5F, CharClass.LETTER,
      0x9FFD, 0x9FFF, CharClass.LETTER, 0xA7C0, 0xA7C1, CharClass.LETTER, 0xA7CB, 0xA7CD, CharClass.LETTER,
      0xA7D0, 0xA7D1, CharClass.LETTER, 0xA7D3, 0xA7D3, CharClass.LETTER, 0xA7D5, 0xA7DC, CharClass.LETTER,
      0xA7F2, 0xA7F4, CharClass.LETTER, 0x10570, 0x1057A, CharClass.LETTER, 0x1057C, 0x1058A, CharClass.LETTER,
      0x1058C, 0x10592, CharClass.LETTER, 0x10594, 0x10595, CharClass.LETTER, 0x10597, 0x105A1, CharClass.LETTER,
      0x105A3, 0x105B1, CharClass.LETTER, 0x105B3, 0x105B9, CharClass.LETTER, 0x105BB, 0x105BC, CharClass.LETTER,
      0x105C0, 0x105F3, CharClass.LETTER, 0x10780, 0x10785, CharClass.LETTER, 0x10787, 0x107B0, CharClass.LETTER,
      0x107B2, 0x107BA, CharClass.LETTER, 0x10D40, 0x10D49, CharClass.NUMBER, 0x10D4A, 0x10D65, CharClass.LETTER,
      0x10D6F, 0x10D85, CharClass.LETTER, 0x10EC2, 0x10EC4, CharClass.LETTER, 0x10F70, 0x10F81, CharClass.LETTER,
      0x11071, 0x11072, CharClass.LETTER, 0x11075, 0x11075, CharClass.LETTER, 0x1123F, 0x11240, CharClass.LETTER,
      0x11380, 0x11389, CharClass.LETTER, 0x1138B, 0x1138B, CharClass.LETTER, 0x1138E, 0x1138E, CharClass.LETTER,
      0x11390, 0x113B5, CharClass.LETTER, 0x113B7, 0x113B7, CharClass.LETTER, 0x113D1, 0x113D1, CharClass.LETTER,
      0x113D3, 0x113D3, CharClass.LETTER, 0x116D0, 0x116E3, CharClass.NUMBER, 0x11740, 0x11746, CharClass.LETTER,
      0x11AB0, 0x11ABF, CharClass.LETTER, 0x11BC0, 0x11BE0, CharClass.LETTER, 0x11BF0, 0x11BF9, CharClass.NUMBER,
      0x11F02, 0x11F02, CharClass.LETTER, 0x11F04, 0x11F10, CharClass.LETTER, 0x11F12, 0x11F33, CharClass.LETTER,
      0x11F50, 0x11F59, CharClass.NUMBER, 0x12F90, 0x12FF0, CharClass.LETTER, 0x1342F, 0x1342F, CharClass.LETTER,
      0x13441, 0x13446, CharClass.LETTER, 0x13460, 0x143FA, CharClass.LETTER, 0x16100, 0x1611D, CharClass.LETTER,
      0x16130, 0x16139, CharClass.NUMBER, 0x16A70, 0x16ABE, CharClass.LETTER, 0x16AC0, 0x16AC9, CharClass.NUMBER,
      0x16D40, 0x16D6C, CharClass.LETTER, 0x16D70, 0x16D79, CharClass.NUMBER, 0x18CFF, 0x18CFF, CharClass.LETTER,
      0x1AFF0, 0x1AFF3, CharClass.LETTER, 0x1AFF5, 0x1AFFB, CharClass.LETTER, 0x1AFFD, 0x1AFFE, CharClass.LETTER,
      0x1B11F, 0x1B122, CharClass.LETTER, 0x1B132, 0x1B132, CharClass.LETTER, 0x1B155, 0x1B155, CharClass.LETTER,
      0x1CCF0, 0x1CCF9, CharClass.NUMBER, 0x1D2C0, 0x1D2D3, CharClass.NUMBER, 0x1DF00, 0x1DF1E, CharClass.LETTER,
      0x1DF25, 0x1DF2A, CharClass.LETTER, 0x1E030, 0x1E06D, CharClass.LETTER, 0x1E290, 0x1E2AD, CharClass.LETTER,
      0x1E4D0, 0x1E4EB, CharClass.LETTER, 0x1E4F0, 0x1E4F9, CharClass.NUMBER, 0x1E5D0, 0x1E5ED, CharClass.LETTER,
      0x1E5F0, 0x1E5F0, CharClass.LETTER, 0x1E5F1, 0x1E5FA, CharClass.NUMBER, 0x1E7E0, 0x1E7E6, CharClass.LETTER,
      0x1E7E8, 0x1E7EB, CharClass.LETTER, 0x1E7ED, 0x1E7EE, CharClass.LETTER, 0x1E7F0, 0x1E7FE, CharClass.LETTER,
      0x2A6DE, 0x2A6DF, CharClass.LETTER, 0x2B735, 0x2B739, CharClass.LETTER, 0x2EBF0, 0x2EE5D, CharClass.LETTER,
      0x31350, 0x323AF, CharClass.LETTER,
  };

  private UnicodeUpdates() {}

  /** The class of a code point Java 17 leaves unassigned, or -1 when Unicode 16.0 does too. */
  static byte classOfUnassigned(int cp) {
    int lo = 0;
    int hi = RANGES.length / 3 - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (cp < RANGES[3 * mid]) hi = mid - 1;
      else if (cp > RANGES[3 * mid + 1]) lo = mid + 1;
      else return (byte) RANGES[3 * mid + 2];
    }
    return -1;
  }
}
