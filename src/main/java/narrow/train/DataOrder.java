package narrow.train;

import java.util.SplittableRandom;
import narrow.util.UserError;

/**
 * Which training row comes when: each epoch a fresh permutation of all rows drawn from
 * (seed, epoch) alone, so any position can be recomputed on resume without saved RNG state.
 * Micro-batches take consecutive slices; an epoch's incomplete last batch is dropped.
 */
public final class DataOrder {
  private final long seed;
  private final int numRows;
  private final int batchSize;
  private int epoch = -1;
  private int[] permutation;

  public DataOrder(long seed, int numRows, int batchSize) {
    if (numRows < batchSize) {
      throw new UserError("the training split has " + numRows + " rows, fewer than one batch of " + batchSize
          + " (train.per_device_train_batch_size): use a smaller batch or more data");
    }
    this.seed = seed;
    this.numRows = numRows;
    this.batchSize = batchSize;
  }

  public long batchesPerEpoch() {
    return numRows / batchSize;
  }

  /** Row indices of micro-batch number {@code batchIndex} counted from the start of training. */
  public int[] batch(long batchIndex) {
    int e = (int) (batchIndex / batchesPerEpoch());
    int within = (int) (batchIndex % batchesPerEpoch());
    if (e != epoch) {
      permutation = permutation(seed, e, numRows);
      epoch = e;
    }
    int[] out = new int[batchSize];
    System.arraycopy(permutation, within * batchSize, out, 0, batchSize);
    return out;
  }

  /** Fisher-Yates with a generator seeded from (seed, epoch). */
  static int[] permutation(long seed, int epoch, int n) {
    SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
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
