package narrow.data.tokenizer;

import static narrow.data.tokenizer.CharClass.LETTER;
import static narrow.data.tokenizer.CharClass.NEWLINE;
import static narrow.data.tokenizer.CharClass.NUMBER;
import static narrow.data.tokenizer.CharClass.OTHER;
import static narrow.data.tokenizer.CharClass.SPACE;

/**
 * The Llama-3 pre-tokenizer, written out by hand: where the pattern
 * <pre>
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * </pre>
 * under leftmost-first alternation ends its match, decided by scanning code points once.
 * A regex engine would be slower, and Java's differs from Oniguruma's in what {@code \s} means
 * and backtracks quadratically on {@code \s+(?!\S)} over long whitespace runs.
 *
 * <p>Every position starts a match (the alternatives cover every character), so the pieces tile
 * the text.
 */
final class LlamaPreTokenizer {
  private LlamaPreTokenizer() {}

  /**
   * Where the piece that starts at {@code start} ends, in {@code text[..limit)}; {@code limit} is
   * the end of the text as the pattern sees it (a special token cuts the text before matching).
   */
  static int pieceEnd(String text, int start, int limit) {
    int c0 = text.codePointAt(start);
    int afterC0 = start + Character.charCount(c0);
    byte k0 = CharClass.of(c0);
    int c1 = afterC0 < limit ? text.codePointAt(afterC0) : -1;

    if (c0 == '\'' && c1 >= 0) {
      int contraction = contractionEnd(text, afterC0, c1, limit);
      if (contraction > 0) return contraction;
    }
    if (k0 == LETTER) return runEnd(text, afterC0, limit, LETTER);
    if ((k0 == SPACE || k0 == OTHER) && c1 >= 0 && CharClass.of(c1) == LETTER) {
      return runEnd(text, afterC0, limit, LETTER);
    }
    if (k0 == NUMBER) return digitsEnd(text, afterC0, limit);
    if (k0 == OTHER) return newlinesEnd(text, runEnd(text, afterC0, limit, OTHER), limit);
    if (c0 == ' ' && c1 >= 0 && CharClass.of(c1) == OTHER) {
      return newlinesEnd(text, runEnd(text, afterC0, limit, OTHER), limit);
    }
    return whitespaceEnd(text, start, limit);
  }

  /** {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)} after the apostrophe; 0 when none matches. */
  private static int contractionEnd(String text, int at, int c1, int limit) {
    switch (c1) {
      case 's', 'S', '\u017F', 't', 'T', 'm', 'M', 'd', 'D':
        // U+017F (long s) case-folds to s, and Oniguruma's (?i) follows Unicode case folding
        return at + 1;
      case 'r', 'R', 'v', 'V':
        return at + 1 < limit && (text.charAt(at + 1) | 0x20) == 'e' ? at + 2 : 0;
      case 'l', 'L':
        return at + 1 < limit && (text.charAt(at + 1) | 0x20) == 'l' ? at + 2 : 0;
      default:
        return 0;
    }
  }

  /** End of the run of code points of class {@code cls} starting at {@code from}. */
  private static int runEnd(String text, int from, int limit, byte cls) {
    int i = from;
    while (i < limit) {
      int c = text.codePointAt(i);
      if (CharClass.of(c) != cls) break;
      i += Character.charCount(c);
    }
    return i;
  }

  /** {@code \p{N}{1,3}}: the first number is consumed, up to two more follow. */
  private static int digitsEnd(String text, int from, int limit) {
    int i = from;
    for (int n = 1; n < 3 && i < limit; n++) {
      int c = text.codePointAt(i);
      if (CharClass.of(c) != NUMBER) break;
      i += Character.charCount(c);
    }
    return i;
  }

  /** {@code [\r\n]*} */
  private static int newlinesEnd(String text, int from, int limit) {
    int i = from;
    while (i < limit && (text.charAt(i) == '\r' || text.charAt(i) == '\n')) i++;
    return i;
  }

  /**
   * The three whitespace alternatives, for a run of whitespace starting at {@code start}:
   * {@code \s*[\r\n]+} ends after the run's last CR/LF; else {@code \s+(?!\S)} takes the run, or
   * all of it but its last character when something other than whitespace follows; a single
   * whitespace character before such a thing is {@code \s+}. Whitespace is all in the BMP.
   */
  private static int whitespaceEnd(String text, int start, int limit) {
    int i = start;
    int lastNewline = -1;
    while (i < limit) {
      char c = text.charAt(i);
      byte k = CharClass.of(c);
      if (k == NEWLINE) lastNewline = i;
      else if (k != SPACE) break;
      i++;
    }
    if (lastNewline >= 0) return lastNewline + 1;
    if (i == limit || i - start == 1) return i;
    return i - 1;
  }
}
