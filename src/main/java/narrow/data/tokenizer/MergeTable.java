package narrow.data.tokenizer;

/**
 * The BPE merges as a map from a pair of adjacent token ids to the merge's rank (its position in
 * the merge list: lower merges first) and the id of the merged token. Open addressing over
 * primitive arrays: this lookup is the inner loop of the encoder.
 */
final class MergeTable {
  /** What {@link #lookup} answers for a pair that does not merge. */
  static final long NONE = -1L;

  private final long[] keys;
  private final long[] values;
  private final int mask;

  MergeTable(int expectedPairs) {
    int capacity = Integer.highestOneBit(Math.max(16, expectedPairs * 2)) << 1;
    keys = new long[capacity];
    values = new long[capacity];
    java.util.Arrays.fill(keys, -1L);
    mask = capacity - 1;
  }

  /** Adds a merge; a pair listed twice keeps its later rank, as Hugging Face's map does. */
  void put(int left, int right, int rank, int merged) {
    long key = key(left, right);
    int s = slot(key);
    while (keys[s] != -1L && keys[s] != key) s = (s + 1) & mask;
    keys[s] = key;
    values[s] = ((long) rank << 32) | merged;
  }

  /** {@code rank << 32 | mergedId} for the pair, or {@link #NONE}; compare packed values to order by rank. */
  long lookup(int left, int right) {
    long key = key(left, right);
    for (int s = slot(key); keys[s] != -1L; s = (s + 1) & mask) {
      if (keys[s] == key) return values[s];
    }
    return NONE;
  }

  static int rank(long packed) {
    return (int) (packed >>> 32);
  }

  static int merged(long packed) {
    return (int) packed;
  }

  private static long key(int left, int right) {
    return ((long) left << 32) | (right & 0xFFFFFFFFL);
  }

  private int slot(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h >>> 32) & mask;
  }
}
