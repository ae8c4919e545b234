package narrow.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import narrow.util.CompleteFolder;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/** Small tokenized datasets written by hand, in the tokenize job's format, for readers' tests. */
public final class TestDatasets {
  private TestDatasets() {}

  /** Spark's list encoding: 3 levels, {@code list/element}. */
  public static final MessageType SPARK_LIST = MessageTypeParser.parseMessageType(
      "message spark_schema { optional group input_ids (LIST) { repeated group list {"
          + " optional int32 element; } } }");

  /** The older 2-level encoding: a LIST group holding a repeated int (parquet-avro, old Hive). */
  public static final MessageType TWO_LEVEL_LIST = MessageTypeParser.parseMessageType(
      "message m { optional group input_ids (LIST) { repeated int32 array; } }");

  /** No LIST group at all: the column itself is repeated. */
  public static final MessageType REPEATED_INT = MessageTypeParser.parseMessageType(
      "message m { repeated int32 input_ids; }");

  public static void writeShard(Path file, List<int[]> rows) throws IOException {
    writeShard(file, rows, SPARK_LIST);
  }

  public static void writeShard(Path file, List<int[]> rows, MessageType schema) throws IOException {
    Files.createDirectories(file.getParent());
    SimpleGroupFactory f = new SimpleGroupFactory(schema);
    try (ParquetWriter<Group> w = ExampleParquetWriter.builder(hadoopPath(file))
        .withConf(new Configuration()).withType(schema).build()) {
      for (int[] row : rows) {
        Group g = f.newGroup();
        if (schema == REPEATED_INT) {
          for (int id : row) g.append("input_ids", id);
        } else {
          Group list = g.addGroup("input_ids");
          for (int id : row) {
            if (schema == SPARK_LIST) list.addGroup("list").append("element", id);
            else list.append("array", id);
          }
        }
        w.write(g);
      }
    }
  }

  /**
   * Commits a folder as the tokenize job does: {@code manifest.json} listing each split folder's
   * shards in file-name order, then the marker. Counts the manifest has no source for are 0.
   */
  public static Path commit(Path dataset, String... splits) throws IOException {
    Configuration conf = new Configuration();
    Map<String, TokenizeManifest.Split> listed = new LinkedHashMap<>();
    for (String split : splits) {
      List<TokenizeManifest.Shard> shards = new ArrayList<>();
      long rows = 0;
      try (Stream<Path> files = Files.list(dataset.resolve(split))) {
        for (Path f : files.filter(p -> p.toString().endsWith(".parquet")).sorted().toList()) {
          long n;
          try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(hadoopPath(f), conf))) {
            n = r.getRecordCount();
          }
          shards.add(new TokenizeManifest.Shard(split + "/" + f.getFileName(), n, Files.size(f)));
          rows += n;
        }
      }
      listed.put(split, new TokenizeManifest.Split(rows, 0, 0, shards));
    }
    writeManifest(dataset, listed);
    Files.writeString(dataset.resolve(CompleteFolder.MARKER), "");
    return dataset;
  }

  /** A manifest with these splits and nothing else known. */
  public static void writeManifest(Path dataset, Map<String, TokenizeManifest.Split> splits) throws IOException {
    TokenizeManifest m = new TokenizeManifest(TokenizeManifest.FORMAT_VERSION, null, null, null,
        List.of(), List.of(), null, null, 0, 0, Map.of(), 0, 0, splits);
    Files.createDirectories(dataset);
    m.write(FileSystem.getLocal(new Configuration()), hadoopPath(dataset.resolve(TokenizeManifest.FILE_NAME)));
  }

  private static org.apache.hadoop.fs.Path hadoopPath(Path local) {
    return new org.apache.hadoop.fs.Path(local.toAbsolutePath().toUri());
  }
}
