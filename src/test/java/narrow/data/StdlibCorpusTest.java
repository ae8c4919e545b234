package narrow.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import narrow.data.tokenizer.HfOracleEncoder;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A realistic run: a few hundred files of this machine's Python standard library. */
@narrow.Slow
class StdlibCorpusTest {
  static SparkSession spark;
  static HfOracleEncoder oracle;
  @TempDir static Path tmp;
  static String corpus;
  static int files;

  @BeforeAll
  static void start() throws Exception {
    Path stdlib = PythonLibrary.find().orElse(null);
    Assumptions.assumeTrue(stdlib != null, "no Python standard library on this machine");
    spark = TestSpark.start("StdlibCorpusTest", Map.of());
    oracle = new HfOracleEncoder(TestSpark.tokenizer());
    Path tree = tmp.resolve("python3-stdlib");
    files = PythonLibrary.copySubset(stdlib, tree, 300, false);
    corpus = tmp.resolve("corpus").toString();
    IngestResult ingested = CorpusIngest.run(spark, tree, corpus, false);
    assertEquals(files, ingested.byLanguage().get("Python") + ingested.tooLarge() + ingested.undecodable() + ingested.binary());
    assertTrue(files >= 250, "subset size " + files);
  }

  @AfterAll
  static void stop() {
    if (oracle != null) oracle.close();
    if (spark != null) spark.stop();
  }

  @Test
  void packedStdlibAccountsForEveryIdTheOracleGives() {
    TokenizeResult r = TokenizeJob.run(spark,
        TestSpark.settings(corpus, tmp.resolve("pack").toString(), TokenizeSettings.Layout.PACK, 1024));
    TokenizeManifest m = r.manifest();
    long idsWithSeparators = TokenizeJobTest.expectedDocuments(corpus).values().stream()
        .mapToLong(text -> oracle.encode(text).length + 1).sum();
    assertEquals(idsWithSeparators, r.tokens() + m.packTailTokensDropped());
    assertEquals(r.rows() * 1024, r.tokens());
    for (Row row : spark.read().parquet(m.splits().get("validation").shards().isEmpty()
        ? r.output() + "/train" : r.output() + "/validation").collectAsList()) {
      assertEquals(1024, row.getList(row.fieldIndex("input_ids")).size());
    }
    // each document's split is a hash of its name: exact for whatever library this machine has
    Map<String, String> docs = TokenizeJobTest.expectedDocuments(corpus);
    double fraction = TestSpark.settings(corpus, "unused", TokenizeSettings.Layout.PACK, 1024).validationFraction();
    long validation = docs.keySet().stream()
        .filter(key -> SplitAssigner.splitOf(key, fraction).equals(SplitAssigner.VALIDATION)).count();
    assertEquals(validation, m.splits().get("validation").documents());
    assertEquals(docs.size() - validation, m.splits().get("train").documents());
  }

  @Test
  void wholeDocumentsEncodeExactlyAsTheOracle() {
    TokenizeResult r = TokenizeJob.run(spark,
        TestSpark.settings(corpus, tmp.resolve("whole").toString(), TokenizeSettings.Layout.TRUNCATE, 1 << 22));
    Map<String, String> docs = TokenizeJobTest.expectedDocuments(corpus);
    Map<String, List<Integer>> rows = new HashMap<>();
    for (String split : List.of("train", "validation")) {
      for (Row row : spark.read().parquet(r.output() + "/" + split).collectAsList()) {
        rows.put(row.getAs("doc_id"), row.getList(row.fieldIndex("input_ids")));
      }
    }
    assertEquals(docs.keySet(), rows.keySet());
    docs.forEach((key, text) -> {
      int[] expected = Truncator.withBosCut(128000, oracle.encode(text), 1 << 22);
      assertArrayEquals(expected, rows.get(key).stream().mapToInt(Integer::intValue).toArray(), key);
    });
    assertEquals(0, r.manifest().truncatedTokensDropped());
  }
}
