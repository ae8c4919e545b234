package narrow.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each kind of bad input: without skipBadRecords a clear error naming the file; with it, skipped
 * and counted in the manifest. Empty documents are always skipped and counted.
 */
@narrow.Slow
class TokenizeBadInputTest {
  static SparkSession spark;
  @TempDir static Path tmp;

  @BeforeAll
  static void start() {
    spark = TestSpark.start("TokenizeBadInputTest", Map.of());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  static final StructType RAW = new StructType()
      .add("code", DataTypes.BinaryType)
      .add("repo_name", DataTypes.StringType)
      .add("path", DataTypes.StringType)
      .add("language", DataTypes.StringType)
      .add("license", DataTypes.StringType)
      .add("size", DataTypes.IntegerType);

  /** Writes one Parquet file in the codeparrot schema with {@code code} as a string column
   * holding exactly these bytes (Spark does not validate UTF-8, as other writers may not). */
  static Path corpus(String name, byte[]... codes) {
    List<Row> rows = new ArrayList<>();
    rows.add(RowFactory.create("def good():\n    return 1\n".getBytes(), "r", "good.py", "Python", "mit", 25));
    for (int i = 0; i < codes.length; i++) {
      rows.add(RowFactory.create(codes[i], "r", "bad" + i + ".py", "Python", "mit", codes[i] == null ? 0 : codes[i].length));
    }
    Path dir = tmp.resolve(name);
    Dataset<Row> df = spark.createDataFrame(rows, RAW);
    df.withColumn("code", df.col("code").cast(DataTypes.StringType)).coalesce(1)
        .write().parquet(dir.toString());
    return dir;
  }

  static TokenizeSettings settings(Path input, String out, boolean skip, long maxDocumentBytes) {
    return TestSpark.with(TestSpark.settings(input.toString(), tmp.resolve(out).toString(),
        TokenizeSettings.Layout.TRUNCATE, 256), skip, false, maxDocumentBytes, 0);
  }

  static String dataFile(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow().getFileName().toString();
    }
  }

  void badDocument(String name, byte[] code, String reason, long maxDocumentBytes) throws IOException {
    Path input = corpus(name, code);
    TokenizeException e = assertThrows(TokenizeException.class,
        () -> TokenizeJob.run(spark, settings(input, name + "-fail", false, maxDocumentBytes)));
    assertTrue(e.getMessage().contains(reason), e.getMessage());
    assertTrue(e.getMessage().contains(dataFile(input)), "names the file: " + e.getMessage());
    assertTrue(e.getMessage().contains("bad0.py"), "names the document: " + e.getMessage());
    assertFalse(Files.exists(tmp.resolve(name + "-fail")), "a failed job leaves no output");

    TokenizeManifest m = TokenizeJob.run(spark, settings(input, name + "-skip", true, maxDocumentBytes)).manifest();
    assertEquals(1, m.skipped().get(reason), m.skipped().toString());
    assertEquals(1, m.splits().get("train").documents() + m.splits().get("validation").documents());
  }

  @Test
  void invalidUtf8() throws IOException {
    badDocument("latin1", "x = 'caf\u00e9'\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), "invalid_utf8", 1 << 20);
  }

  @Test
  void nulBytes() throws IOException {
    badDocument("nul", "x = 1\0\0\0y = 2\n".getBytes(), "nul_bytes", 1 << 20);
  }

  @Test
  void fiftyMegabyteDocumentOverTheLimit() throws IOException {
    badDocument("huge", fiftyMegabytes(), "too_large", 1 << 20);
  }

  @Test
  void fiftyMegabyteDocumentUnderTheLimitIsTokenized() throws IOException {
    Path input = corpus("huge-ok", fiftyMegabytes());
    TokenizeManifest m = TokenizeJob.run(spark, settings(input, "huge-ok-out", false, 64L << 20)).manifest();
    assertEquals(2, m.splits().get("train").documents() + m.splits().get("validation").documents());
    assertTrue(m.truncatedTokensDropped() > 5_000_000, "the 50 MB document was encoded whole: " + m.truncatedTokensDropped());
  }

  static byte[] fiftyMegabytes() {
    byte[] line = "    total = compute(value_1, value_2) + 42  # a fairly typical line\n".getBytes();
    byte[] out = new byte[50 << 20];
    for (int i = 0; i < out.length; i++) out[i] = line[i % line.length];
    return out;
  }

  @Test
  void emptyDocumentsAreSkippedAndCountedEvenWithoutTheFlag() {
    Path input = corpus("empty", new byte[0], null);
    TokenizeManifest m = TokenizeJob.run(spark, settings(input, "empty-out", false, 1 << 20)).manifest();
    // the empty string and the null are duplicates of each other: one dropped, one skipped
    assertEquals(1, m.skipped().get("empty"));
    assertEquals(1, m.duplicates());
    assertEquals(3, m.inputDocuments());
  }

  @Test
  void missingColumnNamesTheInputAndTheColumn() throws IOException {
    Path dir = tmp.resolve("nopath");
    spark.createDataFrame(List.of(RowFactory.create("x = 1\n", "r", "Python")),
        new StructType().add("code", DataTypes.StringType).add("repo_name", DataTypes.StringType)
            .add("language", DataTypes.StringType))
        .coalesce(1).write().parquet(dir.toString());
    TokenizeException e = assertThrows(TokenizeException.class,
        () -> TokenizeJob.run(spark, settings(dir, "nopath-out", true, 1 << 20)));
    assertTrue(e.getMessage().contains("no column 'path'"), e.getMessage());
    assertTrue(e.getMessage().contains(dataFile(dir)), e.getMessage());
  }

  void badFile(String name, Function<byte[], byte[]> damage, String expected) throws IOException {
    Path good = corpus(name + "-src");
    Path input = tmp.resolve(name);
    Files.createDirectories(input);
    Files.copy(good.resolve(dataFile(good)), input.resolve("a-good.parquet"));
    Files.write(input.resolve("b-bad.parquet"), damage.apply(Files.readAllBytes(good.resolve(dataFile(good)))));

    TokenizeException e = assertThrows(TokenizeException.class,
        () -> TokenizeJob.run(spark, settings(input, name + "-fail", false, 1 << 20)));
    assertTrue(e.getMessage().contains("b-bad.parquet"), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());

    TokenizeManifest m = TokenizeJob.run(spark, settings(input, name + "-skip", true, 1 << 20)).manifest();
    assertEquals(1, m.splits().get("train").documents() + m.splits().get("validation").documents());
  }

  @Test
  void truncatedParquetFile() throws IOException {
    badFile("truncated", b -> java.util.Arrays.copyOf(b, b.length / 2), "not readable Parquet");
    TokenizeManifest m = TokenizedDataset.open(tmp.resolve("truncated-skip")).manifest().orElseThrow();
    assertEquals(1, m.skipped().get("corrupt_file"));
    assertTrue(m.skippedFiles().get(0).endsWith("b-bad.parquet"));
  }

  @Test
  void garbageParquetFile() throws IOException {
    badFile("garbage", b -> "this is not parquet at all, just text".repeat(20).getBytes(), "not readable Parquet");
  }

  @Test
  void corruptPagesBehindAGoodFooter() throws IOException {
    // the footer reads, the data does not: Spark's task fails; the error must still name the file
    badFile("pages", b -> {
      byte[] c = b.clone();
      for (int i = 4; i < Math.min(c.length / 2, 200); i++) c[i] = (byte) 0x5a;
      return c;
    }, "reading file");
  }
}
