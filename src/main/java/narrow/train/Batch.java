package narrow.train;

import java.util.List;

/**
 * One micro-batch as flat row-major ids: rows right-padded to the longest row with {@code padId},
 * labels equal to the ids with pads set to -100 (the causal-LM shift happens in the loss).
 * Right padding needs no attention mask: causal attention never lets a real token see a later pad.
 */
public record Batch(int rows, int cols, long[] inputIds, long[] labels, long realTokens) {
  public static final long IGNORE_INDEX = -100;

  public static Batch collate(List<int[]> sequences, long padId) {
    int rows = sequences.size();
    int cols = 0;
    for (int[] s : sequences) cols = Math.max(cols, s.length);
    long[] ids = new long[rows * cols];
    long[] labels = new long[rows * cols];
    long real = 0;
    for (int r = 0; r < rows; r++) {
      int[] s = sequences.get(r);
      for (int c = 0; c < cols; c++) {
        int i = r * cols + c;
        if (c < s.length) {
          ids[i] = s[c];
          labels[i] = s[c];
          real++;
        } else {
          ids[i] = padId;
          labels[i] = IGNORE_INDEX;
        }
      }
    }
    return new Batch(rows, cols, ids, labels, real);
  }
}
