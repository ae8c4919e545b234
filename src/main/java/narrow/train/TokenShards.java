package narrow.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import narrow.data.TokenizeException;
import narrow.data.TokenizedDataset;

/**
 * The training rows of a tokenized dataset, as the one-machine trainer takes them: a whole split
 * in memory. Reading is {@link TokenizedDataset}'s (marker, manifest, shards, either list
 * encoding); this adds the trainer's rule that a split it reads must have shards.
 */
public final class TokenShards {
  private TokenShards() {}

  /**
   * The rows of one split in the manifest's shard order (the shards' file-name order), then file
   * order; rows longer than {@code maxLength} are cut, rows shorter than 2 ids dropped.
   *
   * @throws TokenizeException for a dataset without its commit marker, without the split, or
   *     with no shards in it: input the user must fix
   * @throws IOException when a shard cannot be read
   */
  public static List<int[]> read(Path dataset, String split, int maxLength) throws IOException {
    TokenizedDataset ds = TokenizedDataset.open(dataset);
    if (ds.shards(split).isEmpty()) {
      throw new TokenizeException("tokenized dataset " + ds.root() + " has no shards in its " + split
          + " split" + (split.equals("validation")
              ? " (data.validation_fraction 0, or a corpus too small; set train.eval_steps 0 to train without one)"
              : ""));
    }
    return ds.rows(split, maxLength);
  }
}
