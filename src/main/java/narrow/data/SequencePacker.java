package narrow.data;

import java.util.function.Consumer;

/**
 * Packs documents into rows of exactly {@code seqLen} ids, each document followed by
 * {@code <|end_of_text|>}, a document running on into the next row when it does not fit (the
 * usual causal-LM "group texts" layout: no padding, no id wasted). What is left when the input
 * ends is shorter than a row: it is dropped and counted by the caller through
 * {@link #pendingTokens()}.
 */
public final class SequencePacker {
  private final int seqLen;
  private final int separator;
  private final Consumer<int[]> rows;
  private int[] row;
  private int filled;

  /** @param rows receives each full row; the array is not reused */
  public SequencePacker(int seqLen, int separator, Consumer<int[]> rows) {
    if (seqLen <= 0) throw new IllegalArgumentException("seqLen must be positive: " + seqLen);
    this.seqLen = seqLen;
    this.separator = separator;
    this.rows = rows;
    this.row = new int[seqLen];
  }

  /** Appends one document's ids and its separator; emits the rows that fill up. */
  public void add(int[] ids) {
    int from = 0;
    while (from < ids.length) {
      int n = Math.min(ids.length - from, seqLen - filled);
      System.arraycopy(ids, from, row, filled, n);
      filled += n;
      from += n;
      if (filled == seqLen) emit();
    }
    row[filled++] = separator;
    if (filled == seqLen) emit();
  }

  /** Ids waiting for a row that will never fill if no document follows. */
  public int pendingTokens() {
    return filled;
  }

  private void emit() {
    rows.accept(row);
    row = new int[seqLen];
    filled = 0;
  }
}
