package narrow.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import narrow.data.TestDatasets;

/** Small token datasets in the tokenize job's format (Spark's list encoding, a manifest, the marker). */
final class TestShards {
  private TestShards() {}

  static void writeShard(Path file, List<int[]> rows) throws IOException {
    TestDatasets.writeShard(file, rows);
  }

  /**
   * A dataset a tiny model can learn: rows that count upward modulo {@code vocab} from a random
   * start (after bos), so the loss falls fast. {@code pack}: every row {@code seqLen} long;
   * otherwise truncate-style rows of random length starting with bos.
   */
  static Path learnable(Path dataset, int vocab, int bos, int seqLen, boolean pack, int trainRows, int validRows,
      long seed) throws IOException {
    SplittableRandom rng = new SplittableRandom(seed);
    for (String split : List.of("train", "validation")) {
      int n = split.equals("train") ? trainRows : validRows;
      java.util.List<int[]> rows = new java.util.ArrayList<>();
      for (int i = 0; i < n; i++) {
        int len = pack ? seqLen : 3 + rng.nextInt(seqLen - 2);
        int[] r = new int[len];
        r[0] = bos;
        int start = rng.nextInt(vocab - 1);
        for (int j = 1; j < len; j++) r[j] = (start + j) % (vocab - 1);
        rows.add(r);
      }
      int half = n / 2;
      writeShard(dataset.resolve(split).resolve("part-00000.parquet"), rows.subList(0, half));
      writeShard(dataset.resolve(split).resolve("part-00001.parquet"), rows.subList(half, n));
    }
    return TestDatasets.commit(dataset, "train", "validation");
  }
}
