package narrow.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import narrow.data.RowGroup;
import narrow.data.TokenizedDataset;
import narrow.util.UserError;

/**
 * Which training row comes when, streamed: the split is never held whole, only a shuffle window
 * of row groups at a time, so memory does not grow with the corpus.
 *
 * <p>Each epoch, the row groups are put in a random order drawn from (seed, epoch); consecutive
 * groups of that order form windows of at least {@code windowRows} rows; each window's rows are
 * shuffled by a generator drawn from (seed, epoch, window). The epoch is the windows one after the
 * other, cut into global micro-batches of {@code globalBatch} rows (an incomplete last one is
 * dropped). So the rows of micro-batch m are a pure function of (seed, m, global batch): the same
 * whatever the replica count, recomputable on resume, and each replica reads its slice of them.
 *
 * <p>The first {@code skipRows} rows of the split in file order (pruning's attribution rows, see
 * {@code narrow.prune.AttributionRows}) are left out before anything else: the order above is
 * over the remaining rows, a row group partly skipped taking part with its rest.
 */
final class TrainingRows {
  private final TokenizedDataset dataset;
  private final int maxLength;
  private final long seed;
  private final int globalBatch;
  private final long windowRows;
  private final List<Part> groups;
  private final long rows;
  private long plannedEpoch = -1;
  private List<Window> plan;
  /** The windows read last (a micro-batch may straddle two), by window number. */
  private final Map<Integer, List<int[]>> loaded = new LinkedHashMap<>();

  /** Row groups of one window, and where the window starts in its epoch. */
  private record Window(List<Part> groups, long start, long rows) {}

  /** A row group less its first {@code skip} rows. */
  private record Part(RowGroup group, long skip) {
    long rows() {
      return group.rows() - skip;
    }
  }

  TrainingRows(TokenizedDataset dataset, String split, int maxLength, long seed, int globalBatch, long windowRows)
      throws IOException {
    this(dataset, split, maxLength, seed, globalBatch, windowRows, 0);
  }

  TrainingRows(TokenizedDataset dataset, String split, int maxLength, long seed, int globalBatch, long windowRows,
      long skipRows) throws IOException {
    this.dataset = dataset;
    this.maxLength = maxLength;
    this.seed = seed;
    this.globalBatch = globalBatch;
    this.windowRows = Math.max(1, windowRows);
    this.groups = new ArrayList<>();
    long toSkip = skipRows;
    long n = 0;
    long all = 0;
    for (RowGroup g : dataset.rowGroups(split)) {
      all += g.rows();
      long skip = Math.min(toSkip, g.rows());
      toSkip -= skip;
      if (skip < g.rows()) groups.add(new Part(g, skip));
      n += g.rows() - skip;
    }
    this.rows = n;
    if (rows < globalBatch) {
      String skipped = skipRows > 0 ? " after the first " + skipRows + " skipped (of " + all + ")" : "";
      throw new UserError("the " + split + " split of " + dataset.root() + " has " + rows + " rows" + skipped
          + ", fewer than one batch of " + globalBatch + " (per_device_train_batch_size x replicas)");
    }
  }

  long rows() {
    return rows;
  }

  long batchesPerEpoch() {
    return rows / globalBatch;
  }

  /** Rows [from, to) of global micro-batch {@code microBatch}, counted from the start of training. */
  List<int[]> slice(long microBatch, int from, int to) {
    long epoch = microBatch / batchesPerEpoch();
    long first = (microBatch % batchesPerEpoch()) * globalBatch;
    List<Window> windows = plan(epoch);
    List<int[]> out = new ArrayList<>(to - from);
    for (long p = first + from; p < first + to; p++) out.add(row(windows, p));
    return out;
  }

  private int[] row(List<Window> windows, long position) {
    int w = 0;
    while (position >= windows.get(w).start() + windows.get(w).rows()) w++;
    return window(windows, w).get((int) (position - windows.get(w).start()));
  }

  /** The epoch's windows: its row groups in a seeded order, cut at {@code windowRows}. */
  private List<Window> plan(long epoch) {
    if (epoch == plannedEpoch) return plan;
    int[] order = permutation(new SplittableRandom(mix(seed, epoch, -1)), groups.size());
    List<Window> windows = new ArrayList<>();
    List<Part> current = new ArrayList<>();
    long start = 0;
    long size = 0;
    for (int i : order) {
      current.add(groups.get(i));
      size += groups.get(i).rows();
      if (size >= windowRows) {
        windows.add(new Window(current, start, size));
        start += size;
        current = new ArrayList<>();
        size = 0;
      }
    }
    if (!current.isEmpty()) windows.add(new Window(current, start, size));
    plannedEpoch = epoch;
    plan = windows;
    loaded.clear();
    return plan;
  }

  /** Window {@code w}'s rows in their shuffled order, read when first needed; two kept. */
  private List<int[]> window(List<Window> windows, int w) {
    List<int[]> rowsOfWindow = loaded.get(w);
    if (rowsOfWindow != null) return rowsOfWindow;
    List<int[]> read = new ArrayList<>();
    try {
      for (Part p : windows.get(w).groups()) {
        List<int[]> all = dataset.rows(p.group(), maxLength);
        read.addAll(all.subList((int) p.skip(), all.size()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int[] perm = permutation(new SplittableRandom(mix(seed, plannedEpoch, w)), read.size());
    List<int[]> shuffled = new ArrayList<>(read.size());
    for (int i : perm) shuffled.add(read.get(i));
    if (loaded.size() >= 2) loaded.remove(loaded.keySet().iterator().next());
    loaded.put(w, shuffled);
    return shuffled;
  }

  private static long mix(long seed, long epoch, long window) {
    return (seed * 0x9E3779B97F4A7C15L + epoch) * 0xBF58476D1CE4E5B9L + window;
  }

  /** Fisher-Yates. */
  static int[] permutation(SplittableRandom rng, int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) p[i] = i;
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
