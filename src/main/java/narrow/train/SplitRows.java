package narrow.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import narrow.data.RowGroup;
import narrow.data.TokenizedDataset;

/**
 * A split's rows in file order, read one row group at a time (evaluation): memory holds one group,
 * whatever the split's size. Rows of fewer than 2 ids are skipped (nothing to predict); at most
 * {@code limit} rows are given (HF's {@code max_eval_samples}).
 */
final class SplitRows implements Iterator<int[]> {
  private final TokenizedDataset dataset;
  private final Iterator<RowGroup> groups;
  private final int maxLength;
  private long remaining;
  private Iterator<int[]> current = Collections.emptyIterator();
  private int[] next;

  SplitRows(TokenizedDataset dataset, List<RowGroup> groups, int maxLength, long limit) {
    this.dataset = dataset;
    this.groups = groups.iterator();
    this.maxLength = maxLength;
    this.remaining = limit;
    advance();
  }

  private void advance() {
    next = null;
    if (remaining <= 0) return;
    while (next == null) {
      while (!current.hasNext()) {
        if (!groups.hasNext()) return;
        try {
          current = dataset.rows(groups.next(), maxLength).iterator();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      int[] row = current.next();
      if (row.length >= 2) next = row;
    }
    remaining--;
  }

  @Override
  public boolean hasNext() {
    return next != null;
  }

  @Override
  public int[] next() {
    if (next == null) throw new NoSuchElementException();
    int[] out = next;
    advance();
    return out;
  }
}
