package narrow.data.tokenizer;

import java.util.Arrays;

/**
 * The model's tokens as byte strings, both ways: bytes to id by open addressing over one flat
 * byte pool (no per-lookup allocation), and id to bytes.
 */
final class TokenTable {
  private final byte[] pool;
  private final int[] offset;
  private final int[] length;
  private final int[] slots; // id + 1, 0 = empty
  private final int mask;

  /** {@code bytesById[id]} is the token with that id, or null where the id is unused. */
  TokenTable(byte[][] bytesById) {
    int n = bytesById.length;
    offset = new int[n];
    length = new int[n];
    int total = 0;
    for (byte[] b : bytesById) total += b == null ? 0 : b.length;
    pool = new byte[total];
    int at = 0;
    for (int id = 0; id < n; id++) {
      byte[] b = bytesById[id];
      offset[id] = at;
      length[id] = b == null ? -1 : b.length;
      if (b != null) {
        System.arraycopy(b, 0, pool, at, b.length);
        at += b.length;
      }
    }
    int capacity = Integer.highestOneBit(Math.max(16, n * 3)) << 1;
    slots = new int[capacity];
    mask = capacity - 1;
    for (int id = 0; id < n; id++) {
      if (length[id] < 0) continue;
      int s = hash(pool, offset[id], length[id]) & mask;
      while (slots[s] != 0) s = (s + 1) & mask;
      slots[s] = id + 1;
    }
  }

  /** The id of the token spelled by {@code buf[off..off+len)}, or -1. */
  int idOf(byte[] buf, int off, int len) {
    int s = hash(buf, off, len) & mask;
    for (int v; (v = slots[s]) != 0; s = (s + 1) & mask) {
      int id = v - 1;
      if (length[id] == len
          && Arrays.equals(pool, offset[id], offset[id] + len, buf, off, off + len)) {
        return id;
      }
    }
    return -1;
  }

  /** The bytes of token {@code id}. */
  byte[] bytesOf(int id) {
    return Arrays.copyOfRange(pool, offset[id], offset[id] + length[id]);
  }

  private static int hash(byte[] b, int off, int len) {
    int h = len;
    for (int i = off; i < off + len; i++) h = 31 * h + b[i];
    return h ^ (h >>> 15) ^ (h >>> 7);
  }
}
