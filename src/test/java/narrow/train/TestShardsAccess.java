package narrow.train;

import java.io.IOException;
import java.nio.file.Path;

/** {@link TestShards} for tests of later stages' packages. */
public final class TestShardsAccess {
  private TestShardsAccess() {}

  public static Path learnable(Path dataset, int vocab, int bos, int seqLen, boolean pack, int trainRows,
      int validRows, long seed) throws IOException {
    return TestShards.learnable(dataset, vocab, bos, seqLen, pack, trainRows, validRows, seed);
  }
}
