package narrow.data.tokenizer;

import java.util.Arrays;
import java.util.Optional;

/** Where the fast encoder's ids first part from the oracle's, told so a person can see why. */
final class OracleDifference {
  private static final int CONTEXT = 6;

  private OracleDifference() {}

  /** Empty when the ids are equal; else a report naming {@code what}. */
  static Optional<String> between(String what, int[] fast, int[] oracle, FastBpeEncoder decoder) {
    if (Arrays.equals(fast, oracle)) return Optional.empty();
    int i = 0;
    while (i < fast.length && i < oracle.length && fast[i] == oracle[i]) i++;
    return Optional.of(String.format(
        "%s: first difference at token %d of %d (oracle) / %d (fast)%n"
            + "  oracle %s = %s%n  fast   %s = %s",
        what, i, oracle.length, fast.length,
        Arrays.toString(window(oracle, i)), visible(decoder.decode(window(oracle, i))),
        Arrays.toString(window(fast, i)), visible(decoder.decode(window(fast, i)))));
  }

  private static int[] window(int[] ids, int at) {
    return Arrays.copyOfRange(ids, Math.max(0, at - CONTEXT), Math.min(ids.length, at + CONTEXT));
  }

  /** The text with controls and non-ASCII escaped, so whitespace differences show. */
  private static String visible(String text) {
    StringBuilder out = new StringBuilder("\"");
    text.codePoints().forEach(c -> {
      if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') out.append((char) c);
      else out.append(String.format(c > 0xFFFF ? "\\u{%X}" : "\\u%04X", c));
    });
    return out.append('"').toString();
  }
}
