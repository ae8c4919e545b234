package narrow.data;

import org.apache.hadoop.fs.Path;

/**
 * A shard of a tokenized dataset that is missing, cut short, or does not read as the manifest
 * says it should: the user's to rebuild, named with what is wrong with it.
 */
public final class BrokenShard extends TokenizeException {
  BrokenShard(Path shard, String problem, Throwable cause) {
    super("shard " + shown(shard) + " " + problem + "; rebuild the tokenized dataset (narrow tokenize with "
        + "data.overwrite: true) or put the shard back from a copy", cause);
  }

  BrokenShard(Path shard, String problem) {
    this(shard, problem, null);
  }

  /** A local shard as a plain path, a remote one as its URI. */
  private static String shown(Path shard) {
    return "file".equals(shard.toUri().getScheme()) ? shard.toUri().getPath() : shard.toString();
  }
}
