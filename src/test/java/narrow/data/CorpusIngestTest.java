package narrow.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusIngestTest {
  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = TestSpark.start("CorpusIngestTest", Map.of());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void writesCodeparrotRowsAndCountsWhatItSkips(@TempDir Path tmp) throws Exception {
    Path tree = tmp.resolve("checkouts");
    TestCorpus.write(tree, 6);
    String out = tmp.resolve("corpus").toString();

    IngestResult r = CorpusIngest.run(spark, tree, out, false);

    // 6 modules + duplicate + empty + top.py = 9 Python, 1 C; README unread; blob and latin1 skipped
    assertEquals(Map.of("Python", 9L, "C", 1L), r.byLanguage());
    assertEquals(10, r.rows());
    assertEquals(1, r.otherExtension());
    assertEquals(1, r.binary());
    assertEquals(1, r.undecodable());
    assertEquals(0, r.tooLarge());

    var df = spark.read().parquet(out);
    assertEquals(List.of("code", "repo_name", "path", "language", "license", "size"), List.of(df.columns()));
    Row mod3 = df.filter("path = 'pkg/mod3.py'").first();
    assertEquals("repoB", mod3.getAs("repo_name"));
    assertEquals(TestCorpus.python(3), mod3.getAs("code"));
    assertEquals("Python", mod3.getAs("language"));
    assertEquals("unknown", mod3.getAs("license"));
    assertEquals(TestCorpus.python(3).getBytes("UTF-8").length, (int) mod3.<Integer>getAs("size"));
    Row top = df.filter("path = 'top.py'").first();
    assertEquals("checkouts", top.getAs("repo_name")); // files directly in the root: the root's name

    TokenizeException refused = assertThrows(TokenizeException.class, () -> CorpusIngest.run(spark, tree, out, false));
    assertTrue(refused.getMessage().contains("exists"), refused.getMessage());
    IngestResult again = CorpusIngest.run(spark, tree, out, true);
    assertEquals(10, again.rows());
    try (var siblings = Files.list(tmp)) {
      assertEquals(List.of("checkouts", "corpus"), siblings.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }
}
