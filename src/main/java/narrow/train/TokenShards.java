package narrow.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.Type;

/**
 * Reads the tokenize job's shards ({@code <dataset>/<split>/*.parquet}, column {@code input_ids}
 * {@code array<int>}) into memory. Either layout: {@code pack} rows all have the sequence length,
 * {@code truncate} rows vary. The whole split is held as int arrays, which suits one-machine
 * runs; the distributed trainer reads its partitions instead.
 */
public final class TokenShards {
  private TokenShards() {}

  public static final String COLUMN = "input_ids";

  /** The rows of one split, in shard-name order then file order; rows longer than {@code maxLength} are cut. */
  public static List<int[]> read(Path dataset, String split, int maxLength) throws IOException {
    if (!Files.exists(dataset.resolve("_SUCCESS"))) {
      throw new IOException("dataset " + dataset + " has no _SUCCESS marker: the tokenize job did not finish");
    }
    Path dir = dataset.resolve(split);
    List<Path> shards;
    try (Stream<Path> s = Files.list(dir)) {
      shards = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IOException("dataset " + dataset + " has no " + split + "/ folder", e);
    }
    if (shards.isEmpty()) throw new IOException("no .parquet shards under " + dir);
    List<int[]> rows = new ArrayList<>();
    for (Path shard : shards) readShard(shard, maxLength, rows);
    return rows;
  }

  static void readShard(Path shard, int maxLength, List<int[]> into) throws IOException {
    Configuration conf = new Configuration(false);
    conf.set("fs.file.impl", "org.apache.hadoop.fs.LocalFileSystem");
    try (ParquetReader<Group> reader = ParquetReader
        .builder(new GroupReadSupport(), new org.apache.hadoop.fs.Path(shard.toUri()))
        .withConf(conf).build()) {
      for (Group g; (g = reader.read()) != null; ) {
        int[] ids = ids(g);
        if (ids.length > maxLength) ids = java.util.Arrays.copyOf(ids, maxLength);
        if (ids.length >= 2) into.add(ids); // a single token has nothing to predict
      }
    } catch (RuntimeException e) {
      throw new IOException("cannot read " + shard + ": " + e.getMessage(), e);
    }
  }

  /** {@code input_ids} in either list encoding: 3-level (Spark: list/element) or 2-level (repeated int). */
  static int[] ids(Group row) {
    GroupType schema = row.getType();
    int field = schema.getFieldIndex(COLUMN);
    if (row.getFieldRepetitionCount(field) == 0) return new int[0];
    Type type = schema.getType(field);
    if (type.isPrimitive()) { // repeated int32 input_ids
      int n = row.getFieldRepetitionCount(field);
      int[] out = new int[n];
      for (int i = 0; i < n; i++) out[i] = row.getInteger(field, i);
      return out;
    }
    Group list = row.getGroup(field, 0);
    Type repeated = list.getType().getType(0);
    int n = list.getFieldRepetitionCount(0);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = repeated.isPrimitive() ? list.getInteger(0, i) : list.getGroup(0, i).getInteger(0, 0);
    }
    return out;
  }
}
