package narrow.data.tokenizer;

/**
 * What the oracle sees of a Java string that holds an unpaired surrogate. The DJL binding hands
 * strings to Rust in JNI's modified UTF-8; when that fails to decode as CESU-8 (which an unpaired
 * surrogate makes it do), the binding falls back to a lossy UTF-8 decoding of the whole string:
 * every surrogate code unit, paired or not, becomes three U+FFFD, and NUL (written C0 80) two.
 * Strings without unpaired surrogates pass unchanged. Checked against the oracle:
 * {@code "x\uD800y"} encodes as "x", "\uFFFD\uFFFD\uFFFD", "y", and an emoji before an unpaired
 * surrogate as nine U+FFFD.
 */
final class LoneSurrogates {
  private LoneSurrogates() {}

  static String asOracleSees(String text) {
    if (!hasUnpaired(text)) return text;
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isSurrogate(c)) out.append("\uFFFD\uFFFD\uFFFD");
      else if (c == 0) out.append("\uFFFD\uFFFD");
      else out.append(c);
    }
    return out.toString();
  }

  private static boolean hasUnpaired(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!Character.isSurrogate(c)) continue;
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else {
        return true;
      }
    }
    return false;
  }
}
