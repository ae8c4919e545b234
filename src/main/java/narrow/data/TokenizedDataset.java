package narrow.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import narrow.util.CompleteFolder;
import narrow.util.ObjectStores;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The reader's side of a tokenized dataset, the one reader of the format, through Hadoop's
 * FileSystem so that a local folder and {@code s3a://} read alike: refuses a folder without the
 * commit marker (a job still running, or killed), then gives the manifest, the shards of a split
 * and their rows. Shards are plain Parquet with an {@code input_ids} {@code array<int>} column.
 *
 * <p>The manifest's shard list is the split's content and order (the tokenize job lists them
 * sorted by file name). A folder with the marker but no {@code manifest.json}, made outside the
 * tokenize job by a test or a benchmark, is read by listing its split folders in the same order.
 */
public final class TokenizedDataset {

  private final FileSystem fs;
  private final Configuration conf;
  private final Path root;
  private final TokenizeManifest manifest; // null for a folder made without the tokenize job

  private TokenizedDataset(FileSystem fs, Configuration conf, Path root, TokenizeManifest manifest) {
    this.fs = fs;
    this.conf = conf;
    this.root = root;
    this.manifest = manifest;
  }

  /** A local folder or any Hadoop URI ({@code s3a://…}) readable with {@code conf}. */
  public static TokenizedDataset open(String path, Configuration conf) {
    return open(new Path(path), conf);
  }

  public static TokenizedDataset open(java.nio.file.Path local) {
    // scheme and path apart: a ':' in a folder name is not taken for a scheme
    return open(new Path("file", null, local.toAbsolutePath().normalize().toString()), new Configuration());
  }

  /** A dataset at a Hadoop path readable with {@code conf}. */
  public static TokenizedDataset open(Path path, Configuration conf) {
    try {
      FileSystem fs = ObjectStores.reach(path, conf);
      Path root = fs.makeQualified(path);
      if (!fs.exists(root)) throw new TokenizeException("tokenized dataset " + root + " does not exist");
      if (!fs.exists(new Path(root, CompleteFolder.MARKER))) {
        throw new TokenizeException("tokenized dataset " + root + " has no " + CompleteFolder.MARKER
            + " marker: it is incomplete (a job still writing it, or one that was killed)");
      }
      return new TokenizedDataset(fs, conf, root, readManifest(fs, root));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tokenized dataset " + path, e);
    }
  }

  private static TokenizeManifest readManifest(FileSystem fs, Path root) throws IOException {
    Path file = new Path(root, TokenizeManifest.FILE_NAME);
    if (!fs.exists(file)) return null;
    TokenizeManifest m = TokenizeManifest.read(fs, file);
    if (m.splits() == null) {
      throw new TokenizeException(file + " lists no splits: it is not a manifest of narrow tokenize");
    }
    return m;
  }

  /**
   * A small file beside the shards, such as a {@code tokenizer.json} put there by hand (the
   * tokenize job writes none), or empty when there is none.
   */
  public Optional<byte[]> sideFile(String name) throws IOException {
    Path file = new Path(root, name);
    if (!fs.exists(file)) return Optional.empty();
    try (var in = fs.open(file)) {
      return Optional.of(in.readAllBytes());
    }
  }

  /** Empty for a folder made without the tokenize job. */
  public Optional<TokenizeManifest> manifest() {
    return Optional.ofNullable(manifest);
  }

  public String root() {
    return root.toString();
  }

  /**
   * A split's shards in manifest order: plain file paths for a local dataset (for local Parquet
   * readers), full URIs otherwise.
   *
   * @throws TokenizeException when the dataset has no such split
   */
  public List<String> shards(String split) {
    boolean local = "file".equals(root.toUri().getScheme());
    try {
      return shardPaths(split).stream().map(p -> local ? p.toUri().getPath() : p.toString()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list split " + split + " of " + root, e);
    }
  }

  /**
   * Every row of a split, shard after shard in {@link #shards} order, each cut to
   * {@code maxLength} ids; rows shorter than 2 ids are dropped (nothing to predict). The whole
   * split is held in memory, which suits one machine.
   */
  public List<int[]> rows(String split, int maxLength) throws IOException {
    List<int[]> rows = new ArrayList<>();
    if (manifest == null) {
      for (Path shard : shardPaths(split)) ShardRows.read(shard, conf, maxLength, rows);
    } else {
      for (TokenizeManifest.Shard listed : split(split).shards()) {
        ShardRows.read(listedShard(listed).getPath(), conf, maxLength, rows);
      }
    }
    return rows;
  }

  /**
   * A split's row groups, shard after shard in {@link #shards} order, with their row counts: read
   * from the footers only, so the size of a split is known without reading its rows.
   */
  public List<RowGroup> rowGroups(String split) throws IOException {
    List<RowGroup> out = new ArrayList<>();
    if (manifest == null) {
      for (Path shard : shardPaths(split)) out.addAll(ShardRows.rowGroups(shard, conf));
      return out;
    }
    // every shard against the manifest before any row is read: a missing or cut-short shard is
    // found here, not hours into training
    for (TokenizeManifest.Shard listed : split(split).shards()) {
      FileStatus status = listedShard(listed);
      List<RowGroup> groups = ShardRows.rowGroups(status, conf);
      long rows = groups.stream().mapToLong(RowGroup::rows).sum();
      if (rows != listed.rows()) {
        throw new BrokenShard(status.getPath(), "holds " + rows + " rows, but " + TokenizeManifest.FILE_NAME
            + " lists " + listed.rows() + " (replaced since the dataset was written)");
      }
      out.addAll(groups);
    }
    return out;
  }

  /** A shard the manifest lists, there and of the size it lists (a size of 0: not recorded). */
  private FileStatus listedShard(TokenizeManifest.Shard listed) throws IOException {
    Path path = new Path(root, listed.path());
    FileStatus status;
    try {
      status = fs.getFileStatus(path);
    } catch (FileNotFoundException e) {
      throw new BrokenShard(path, "is missing (" + TokenizeManifest.FILE_NAME + " lists it with "
          + listed.rows() + " rows)", e);
    }
    if (listed.bytes() > 0 && status.getLen() != listed.bytes()) {
      throw new BrokenShard(path, "is " + status.getLen() + " bytes, but " + TokenizeManifest.FILE_NAME
          + " lists " + listed.bytes() + " (" + (status.getLen() < listed.bytes()
              ? "cut short: a copy or upload that did not finish" : "replaced since the dataset was written") + ")");
    }
    return status;
  }

  /** The rows of one row group (see {@link ShardRows#readRowGroup}). */
  public List<int[]> rows(RowGroup group, int maxLength) throws IOException {
    return ShardRows.readRowGroup(group, conf, maxLength);
  }

  private TokenizeManifest.Split split(String split) {
    TokenizeManifest.Split s = manifest.splits().get(split);
    if (s == null) {
      throw new TokenizeException("tokenized dataset " + root + " has no split '" + split
          + "' (its manifest lists: " + String.join(", ", manifest.splits().keySet()) + ")");
    }
    return s;
  }

  private List<Path> shardPaths(String split) throws IOException {
    if (manifest != null) return split(split).shards().stream().map(sh -> new Path(root, sh.path())).toList();
    try {
      // the order the tokenize job writes into a manifest
      return Arrays.stream(fs.listStatus(new Path(root, split)))
          .filter(f -> f.isFile() && f.getPath().getName().endsWith(".parquet"))
          .map(FileStatus::getPath).sorted(Comparator.comparing(Path::getName)).toList();
    } catch (FileNotFoundException e) {
      throw new TokenizeException("tokenized dataset " + root + " has no " + split + "/ folder", e);
    }
  }
}
