package narrow.data.tokenizer;

/**
 * Byte-pair encoding of one pre-token, as Hugging Face's BPE model does it: start from one token
 * per byte, then repeatedly merge the adjacent pair of lowest merge rank, the leftmost one among
 * equals, until no adjacent pair merges.
 *
 * <p>Short pieces (nearly all of them) take a plain scan over a small array, quadratic in the
 * piece length but with no overhead; long ones (whitespace runs, minified data) take a heap of
 * candidate merges over a linked list of symbols, n log n. Not thread-safe: holds scratch space.
 */
final class BytePairMerger {
  /** Pieces up to this many bytes take the quadratic scan. */
  private static final int SHORT_PIECE = 48;

  private final MergeTable merges;
  private final int[] byteIds;
  private int[] symbol = new int[64];
  private long[] pairs = new long[64];
  private int[] next = new int[64];
  private int[] prev = new int[64];
  private long[] heap = new long[64];

  /** {@code byteIds[b]} is the id of the one-byte token for byte value {@code b}. */
  BytePairMerger(MergeTable merges, int[] byteIds) {
    this.merges = merges;
    this.byteIds = byteIds;
  }

  /** Appends the ids of {@code bytes[0..n)} to {@code out}. */
  void encode(byte[] bytes, int n, IdList out) {
    ensureCapacity(n);
    for (int i = 0; i < n; i++) symbol[i] = byteIds[bytes[i] & 0xFF];
    if (n <= SHORT_PIECE) encodeShort(n, out);
    else encodeLong(n, out);
  }

  private void encodeShort(int n, IdList out) {
    long none = Long.MAX_VALUE;
    for (int i = 0; i + 1 < n; i++) pairs[i] = orNone(merges.lookup(symbol[i], symbol[i + 1]));
    int count = n;
    while (count > 1) {
      int best = -1;
      long bestPair = none;
      for (int i = 0; i + 1 < count; i++) {
        if (pairs[i] < bestPair) {
          bestPair = pairs[i];
          best = i;
        }
      }
      if (best < 0) break;
      symbol[best] = MergeTable.merged(bestPair);
      count--;
      System.arraycopy(symbol, best + 2, symbol, best + 1, count - best - 1);
      System.arraycopy(pairs, best + 2, pairs, best + 1, Math.max(0, count - best - 2));
      if (best > 0) pairs[best - 1] = orNone(merges.lookup(symbol[best - 1], symbol[best]));
      if (best + 1 < count) pairs[best] = orNone(merges.lookup(symbol[best], symbol[best + 1]));
    }
    for (int i = 0; i < count; i++) out.add(symbol[i]);
  }

  private static long orNone(long packed) {
    return packed == MergeTable.NONE ? Long.MAX_VALUE : packed;
  }

  /**
   * Heap entries are {@code rank << 32 | position}: the heap's order is Hugging Face's (lowest
   * rank, then leftmost). An entry is stale when its left symbol has merged away or grown since;
   * a rank names one pair, so comparing the rank of the pair now at that position tells.
   */
  private void encodeLong(int n, IdList out) {
    int heapSize = 0;
    for (int i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    for (int i = 0; i + 1 < n; i++) {
      long p = merges.lookup(symbol[i], symbol[i + 1]);
      if (p != MergeTable.NONE) heapSize = push(heapSize, entry(p, i));
    }
    while (heapSize > 0) {
      long top = heap[0];
      heapSize = pop(heapSize);
      int pos = (int) top;
      int right = next[pos];
      if (symbol[pos] < 0 || right < 0) continue;
      long p = merges.lookup(symbol[pos], symbol[right]);
      if (p == MergeTable.NONE || MergeTable.rank(p) != (int) (top >>> 32)) continue;
      symbol[pos] = MergeTable.merged(p);
      symbol[right] = -1;
      int after = next[right];
      next[pos] = after;
      if (after >= 0) prev[after] = pos;
      int before = prev[pos];
      if (before >= 0) {
        long q = merges.lookup(symbol[before], symbol[pos]);
        if (q != MergeTable.NONE) heapSize = push(heapSize, entry(q, before));
      }
      if (after >= 0) {
        long q = merges.lookup(symbol[pos], symbol[after]);
        if (q != MergeTable.NONE) heapSize = push(heapSize, entry(q, pos));
      }
    }
    for (int i = 0; i >= 0; i = next[i]) out.add(symbol[i]);
  }

  private static long entry(long packedMerge, int position) {
    return ((long) MergeTable.rank(packedMerge) << 32) | position;
  }

  private int push(int size, long value) {
    if (size == heap.length) heap = java.util.Arrays.copyOf(heap, size * 2);
    int i = size;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (heap[parent] <= value) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = value;
    return size + 1;
  }

  private int pop(int size) {
    int last = size - 1;
    long value = heap[last];
    int i = 0;
    while (true) {
      int child = 2 * i + 1;
      if (child >= last) break;
      if (child + 1 < last && heap[child + 1] < heap[child]) child++;
      if (heap[child] >= value) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = value;
    return last;
  }

  private void ensureCapacity(int n) {
    if (symbol.length >= n) return;
    int capacity = Integer.highestOneBit(n) << 1;
    symbol = new int[capacity];
    pairs = new long[capacity];
    next = new int[capacity];
    prev = new int[capacity];
  }
}
