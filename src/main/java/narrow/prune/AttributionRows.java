package narrow.prune;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import narrow.data.RowGroup;
import narrow.data.TokenizedDataset;
import narrow.util.UserError;

/**
 * The attribution rows, as the study took them: the first {@code samples} rows of a split in file
 * order (row group after row group, nothing skipped, so that training can later skip exactly
 * these), each cut to {@code maxLength} ids, in consecutive batches of {@code batchSize} (the last
 * one smaller when {@code batchSize} does not divide {@code samples}). Only the row groups that
 * hold them are read.
 */
public final class AttributionRows {
  private AttributionRows() {}

  public static List<AttributionBatch> firstBatches(TokenizedDataset dataset, String split, int samples,
      int batchSize, int maxLength, long padId) throws IOException {
    if (samples < 1 || batchSize < 1) {
      throw new UserError("attribution needs samples >= 1 and a batch size >= 1, got " + samples + " and "
          + batchSize);
    }
    List<int[]> rows = new ArrayList<>(samples);
    for (RowGroup group : dataset.rowGroups(split)) {
      if (rows.size() >= samples) break;
      List<int[]> read = dataset.rows(group, maxLength);
      rows.addAll(read.subList(0, Math.min(read.size(), samples - rows.size())));
    }
    if (rows.size() < samples) {
      throw new UserError("the " + split + " split of " + dataset.root() + " has " + rows.size()
          + " rows, fewer than the " + samples + " attribution samples asked for");
    }
    List<AttributionBatch> batches = new ArrayList<>();
    for (int from = 0; from < samples; from += batchSize) {
      batches.add(AttributionBatch.collate(rows.subList(from, Math.min(samples, from + batchSize)), padId));
    }
    return batches;
  }
}
