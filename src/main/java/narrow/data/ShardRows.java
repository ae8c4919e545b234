package narrow.data;

import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import java.util.ArrayList;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * The {@code input_ids} rows of one shard as int arrays, read through Hadoop's FileSystem (local
 * disk or {@code s3a://} alike). Any Parquet writer's list encoding is accepted, not only
 * Spark's, so that shards made by pyarrow or by hand read the same.
 */
final class ShardRows {
  /** The shards' token column, {@code array<int>}. */
  static final String COLUMN = "input_ids";

  private ShardRows() {}

  /**
   * Appends the rows of {@code shard} to {@code into}, in file order: each cut to
   * {@code maxLength} ids, and dropped when shorter than 2 ids (a causal LM row of one id has
   * nothing to predict).
   */
  static void read(Path shard, Configuration conf, int maxLength, List<int[]> into) throws IOException {
    try (ParquetReader<Group> reader =
        ParquetReader.builder(new GroupReadSupport(), shard).withConf(conf).build()) {
      for (Group g; (g = reader.read()) != null; ) {
        int[] ids = ids(g);
        if (ids.length > maxLength) ids = Arrays.copyOf(ids, maxLength);
        if (ids.length >= 2) into.add(ids);
      }
    } catch (IOException | RuntimeException e) {
      throw damaged(e, shard, "cannot be read: ");
    }
  }

  /** The row groups of a shard with their row counts, from its footer alone. */
  static List<RowGroup> rowGroups(Path shard, Configuration conf) throws IOException {
    return rowGroups(HadoopInputFile.fromPath(shard, conf), shard);
  }

  /** As {@link #rowGroups(Path, Configuration)}, for a shard whose status is at hand. */
  static List<RowGroup> rowGroups(FileStatus shard, Configuration conf) throws IOException {
    return rowGroups(HadoopInputFile.fromStatus(shard, conf), shard.getPath());
  }

  private static List<RowGroup> rowGroups(HadoopInputFile file, Path shard) throws IOException {
    try (ParquetFileReader reader = ParquetFileReader.open(file)) {
      List<RowGroup> out = new ArrayList<>();
      List<BlockMetaData> blocks = reader.getRowGroups();
      for (int i = 0; i < blocks.size(); i++) out.add(new RowGroup(shard.toString(), i, blocks.get(i).getRowCount()));
      return out;
    } catch (IOException | RuntimeException e) {
      throw damaged(e, shard, "has no readable Parquet footer: ");
    }
  }

  /**
   * {@code e} as a {@link BrokenShard} when it says the file's bytes are wrong: Parquet's unchecked
   * errors, an end of file too soon, a checksum that does not match, or parquet-format's words for
   * a header it cannot decode. Any other IOException is the file system's (a store out of reach)
   * and stays what it is.
   */
  private static IOException damaged(Exception e, Path shard, String problem) {
    if (e instanceof RuntimeException || e instanceof EOFException || e instanceof ChecksumException
        || String.valueOf(e.getMessage()).startsWith("can not read class org.apache.parquet.format.")) {
      throw new BrokenShard(shard, problem + e.getMessage(), e);
    }
    return (IOException) e;
  }

  /**
   * The rows of one row group, in file order, each cut to {@code maxLength} ids. Nothing is
   * dropped, so that positions computed from the footers' counts stay right; a row of fewer
   * than 2 ids contributes no loss.
   */
  static List<int[]> readRowGroup(RowGroup group, Configuration conf, int maxLength) throws IOException {
    Path shard = new Path(group.shard());
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(shard, conf))) {
      MessageType schema = reader.getFooter().getFileMetaData().getSchema();
      PageReadStore pages = reader.readRowGroup(group.index());
      if (pages == null) throw new IOException("shard " + shard + " has no row group " + group.index());
      RecordReader<Group> records = new ColumnIOFactory().getColumnIO(schema)
          .getRecordReader(pages, new GroupRecordConverter(schema));
      List<int[]> rows = new ArrayList<>((int) pages.getRowCount());
      for (long r = 0; r < pages.getRowCount(); r++) {
        int[] ids = ids(records.read());
        rows.add(ids.length > maxLength ? Arrays.copyOf(ids, maxLength) : ids);
      }
      return rows;
    } catch (IOException | RuntimeException e) {
      throw damaged(e, shard, "is corrupt at row group " + group.index() + ": ");
    }
  }

  /**
   * {@code input_ids} of one row in any of Parquet's list encodings: 3-level (Spark:
   * {@code list/element}), 2-level (a LIST group of a repeated int) or a bare repeated int.
   */
  static int[] ids(Group row) {
    GroupType schema = row.getType();
    int field = schema.getFieldIndex(COLUMN);
    int present = row.getFieldRepetitionCount(field);
    if (present == 0) return new int[0]; // a null list
    if (schema.getType(field).isPrimitive()) { // repeated int32 input_ids
      int[] out = new int[present];
      for (int i = 0; i < present; i++) out[i] = row.getInteger(field, i);
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
