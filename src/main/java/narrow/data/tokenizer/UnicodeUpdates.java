package narrow.data.tokenizer;

final class UnicodeUpdates {
  private UnicodeUpdates() {}
  static byte classOf(int cp) { return -1; }
}
