package narrow.data;

/**
 * The reference study's layout: one document per row, {@code <|begin_of_text|>} first as the
 * Hugging Face tokenizer adds it with {@code add_special_tokens=True}, cut at {@code maxLength}.
 */
public final class Truncator {
  private Truncator() {}

  public static int[] withBosCut(int bos, int[] ids, int maxLength) {
    if (maxLength <= 0) throw new IllegalArgumentException("maxLength must be positive: " + maxLength);
    int n = Math.min(maxLength, ids.length + 1);
    int[] row = new int[n];
    row[0] = bos;
    System.arraycopy(ids, 0, row, 1, n - 1);
    return row;
  }
}
