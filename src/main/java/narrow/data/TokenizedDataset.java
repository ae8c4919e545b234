package narrow.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The reader's side of a tokenized dataset: refuses a folder without the commit marker (a job
 * still running, or killed), then gives the manifest and the shard files of a split. Shards are
 * plain Parquet with an {@code input_ids} {@code array<int>} column, readable by any reader.
 */
public final class TokenizedDataset {
  /** Written last, after the manifest: its presence means every shard is in place. */
  public static final String COMMIT_MARKER = "_SUCCESS";

  private final Path root;
  private final TokenizeManifest manifest;

  private TokenizedDataset(Path root, TokenizeManifest manifest) {
    this.root = root;
    this.manifest = manifest;
  }

  /** A local folder or any Hadoop URI ({@code s3a://…}) readable with {@code conf}. */
  public static TokenizedDataset open(String path, Configuration conf) {
    try {
      Path root = new Path(path);
      FileSystem fs = root.getFileSystem(conf);
      root = fs.makeQualified(root);
      if (!fs.exists(root)) throw new TokenizeException("tokenized dataset " + root + " does not exist");
      if (!fs.exists(new Path(root, COMMIT_MARKER))) {
        throw new TokenizeException("tokenized dataset " + root + " has no " + COMMIT_MARKER
            + " marker: it is incomplete (a job still writing it, or one that was killed)");
      }
      return new TokenizedDataset(root, TokenizeManifest.read(fs, new Path(root, TokenizeManifest.FILE_NAME)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tokenized dataset " + path, e);
    }
  }

  public static TokenizedDataset open(java.nio.file.Path local) {
    return open(local.toAbsolutePath().toString(), new Configuration());
  }

  public TokenizeManifest manifest() {
    return manifest;
  }

  public String root() {
    return root.toString();
  }

  /**
   * A split's shards in manifest order: plain file paths for a local dataset (for local Parquet
   * readers), full URIs otherwise; empty for an unknown split.
   */
  public List<String> shards(String split) {
    TokenizeManifest.Split s = manifest.splits().get(split);
    if (s == null) return List.of();
    boolean local = "file".equals(root.toUri().getScheme());
    return s.shards().stream().map(sh -> new Path(root, sh.path()))
        .map(p -> local ? p.toUri().getPath() : p.toString()).toList();
  }
}
