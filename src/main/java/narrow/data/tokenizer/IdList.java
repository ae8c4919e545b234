package narrow.data.tokenizer;

import java.util.Arrays;

/** A growable list of token ids, without boxing. */
final class IdList {
  private int[] ids = new int[256];
  private int size;

  void add(int id) {
    if (size == ids.length) ids = Arrays.copyOf(ids, ids.length * 2);
    ids[size++] = id;
  }

  int[] toArray() {
    return Arrays.copyOf(ids, size);
  }
}
