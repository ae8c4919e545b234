package narrow.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/** The one small local Spark session a test class shares, and the tokenizer the tests use. */
final class TestSpark {
  private TestSpark() {}

  static SparkSession start(String app, Map<String, String> extra) {
    SparkSession.Builder b = SparkSession.builder()
        .master("local[2]")
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1");
    extra.forEach(b::config);
    return b.getOrCreate();
  }

  static Path tokenizer() {
    String cache = System.getenv().getOrDefault("NARROW_CACHE", System.getProperty("user.home") + "/.cache/narrow");
    Path p = Path.of(cache, "tokenizers", "llama3_1-3.7.2", "tokenizer.json");
    if (!Files.isReadable(p)) throw new IllegalStateException("run data-prep/fetch-tokenizer.sh first: " + p);
    return p;
  }

  /** Python only, no license filter, dedup on, failing on bad records, 10% validation. */
  static TokenizeSettings settings(String input, String output, TokenizeSettings.Layout layout, int seqLen) {
    return new TokenizeSettings(input, output, List.of("Python"), List.of(), layout, seqLen, 0.1,
        tokenizer().toString(), TokenizeSettings.Encoder.FAST, 0L, 0L, true, false, 64L << 20, false);
  }

  static TokenizeSettings with(TokenizeSettings s, boolean skipBadRecords, boolean overwrite,
      long maxDocumentBytes, long rowsPerShard) {
    return new TokenizeSettings(s.input(), s.output(), s.languages(), s.licenses(), s.layout(),
        s.seqLen(), s.validationFraction(), s.tokenizer(), s.encoder(), rowsPerShard,
        s.bytesPerShard(), s.dedup(), skipBadRecords, maxDocumentBytes, overwrite);
  }
}
