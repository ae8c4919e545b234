package narrow.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/** Writes small token datasets in the tokenize job's layout (Spark's 3-level list schema). */
final class TestShards {
  private TestShards() {}

  static final MessageType SPARK_SCHEMA = MessageTypeParser.parseMessageType(
      "message spark_schema { optional group input_ids (LIST) { repeated group list {"
          + " optional int32 element; } } }");

  static void writeShard(Path file, List<int[]> rows) throws IOException {
    Files.createDirectories(file.getParent());
    Configuration conf = new Configuration(false);
    conf.set("fs.file.impl", "org.apache.hadoop.fs.LocalFileSystem");
    SimpleGroupFactory f = new SimpleGroupFactory(SPARK_SCHEMA);
    try (ParquetWriter<Group> w = ExampleParquetWriter
        .builder(new org.apache.hadoop.fs.Path(file.toUri())).withConf(conf).withType(SPARK_SCHEMA).build()) {
      for (int[] row : rows) {
        Group g = f.newGroup();
        Group list = g.addGroup("input_ids");
        for (int id : row) list.addGroup("list").append("element", id);
        w.write(g);
      }
    }
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
    Files.writeString(dataset.resolve("manifest.json"),
        "{\"layout\": \"" + (pack ? "pack" : "truncate") + "\", \"seq_len\": " + seqLen + "}");
    Files.writeString(dataset.resolve("_SUCCESS"), "");
    return dataset;
  }
}
