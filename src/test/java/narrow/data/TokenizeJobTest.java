package narrow.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.time.Duration;
import narrow.data.tokenizer.HfOracleEncoder;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@narrow.Slow
class TokenizeJobTest {
  static SparkSession spark;
  static HfOracleEncoder oracle;
  @TempDir static Path tmp;
  static String corpus;
  static Path tree;

  @BeforeAll
  static void start() throws Exception {
    spark = TestSpark.start("TokenizeJobTest", Map.of());
    oracle = new HfOracleEncoder(TestSpark.tokenizer());
    tree = tmp.resolve("tree");
    TestCorpus.write(tree, 40);
    corpus = tmp.resolve("corpus").toString();
    CorpusIngest.run(spark, tree, corpus, false);
  }

  @AfterAll
  static void stop() {
    oracle.close();
    spark.stop();
  }

  /** Distinct non-empty Python documents of an ingested corpus: repo_name/path to text. */
  static Map<String, String> expectedDocuments(String corpusPath) {
    SparkSession spark = SparkSession.active();
    Map<String, String> byText = new HashMap<>();
    for (Row r : spark.read().parquet(corpusPath).filter("language = 'Python' AND code != ''").collectAsList()) {
      String key = SplitAssigner.key(r.getAs("repo_name"), r.getAs("path"));
      byText.merge(r.getAs("code"), key, (a, b) -> a.compareTo(b) <= 0 ? a : b); // dedup keeps the smallest key
    }
    Map<String, String> out = new HashMap<>();
    byText.forEach((text, key) -> out.put(key, text));
    return out;
  }

  static List<int[]> rowsInFileOrder(String file) {
    List<int[]> rows = new ArrayList<>();
    for (Row r : spark.read().parquet(file).collectAsList()) {
      List<Integer> ids = r.getList(r.fieldIndex("input_ids"));
      rows.add(ids.stream().mapToInt(Integer::intValue).toArray());
    }
    return rows;
  }

  @Test
  void packRowsAreExactlySeqLenAndDecodeBackToTheDocuments() throws Exception {
    String out = tmp.resolve("pack").toString();
    TokenizeSettings s = new TokenizeSettings(corpus, out, List.of("Python"), List.of(),
        TokenizeSettings.Layout.PACK, 64, 0.3, TestSpark.tokenizer().toString(),
        TokenizeSettings.Encoder.ORACLE, 0L, 0L, true, true, 64L << 20, false);
    List<String> progress = new CopyOnWriteArrayList<>();
    TokenizeResult result = TokenizeJob.run(spark, s, Duration.ofMillis(200), progress::add);

    Map<String, String> docs = expectedDocuments(corpus);
    TokenizedDataset ds = TokenizedDataset.open(Path.of(out));
    TokenizeManifest m = ds.manifest().orElseThrow();
    assertEquals(m, result.manifest());
    assertTrue(Files.exists(Path.of(out, "_SUCCESS")));

    // 40 modules + dup + empty + top.py: one duplicate dropped, the empty file skipped and counted
    assertEquals(43, m.inputDocuments());
    assertEquals(1, m.duplicates());
    assertEquals(1, m.skipped().get("empty"));
    assertEquals(0, m.skipped().get("invalid_utf8"));

    long encodedPlusSeparators = 0;
    long missingIds = 0;   // ids (with separator) of documents not complete in any shard
    long partialIds = 0;   // ids after the last separator of each shard: a document's head
    for (String split : List.of("train", "validation")) {
      Map<String, int[]> expected = new HashMap<>();
      docs.forEach((key, text) -> {
        if (SplitAssigner.splitOf(key, 0.3).equals(split)) expected.put(Arrays.toString(oracle.encode(text)), oracle.encode(text));
      });
      encodedPlusSeparators += expected.values().stream().mapToLong(ids -> ids.length + 1).sum();
      assertEquals(expected.size(), m.splits().get(split).documents(), split + " documents");
      assertFalse(expected.isEmpty(), "the test corpus has documents in " + split);

      int complete = 0;
      long rows = 0;
      List<int[]> partials = new ArrayList<>();
      for (String shard : ds.shards(split)) {
        List<int[]> fileRows = rowsInFileOrder(shard);
        rows += fileRows.size();
        List<Integer> stream = new ArrayList<>();
        for (int[] row : fileRows) {
          assertEquals(64, row.length, "every pack row is exactly seq_len");
          for (int id : row) stream.add(id);
        }
        // every document that ended inside this shard decodes back to one of the split's documents
        int start = 0;
        for (int i = 0; i < stream.size(); i++) {
          if (stream.get(i) == m.tokenizer().endOfText()) {
            int[] seg = stream.subList(start, i).stream().mapToInt(Integer::intValue).toArray();
            assertNotNull(expected.remove(Arrays.toString(seg)), "segment is a document of " + split + ", once");
            complete++;
            start = i + 1;
          }
        }
        partials.add(stream.subList(start, stream.size()).stream().mapToInt(Integer::intValue).toArray());
      }
      // what a shard ends with is the head of a document whose rest went to the dropped tail
      for (int[] head : partials) {
        partialIds += head.length;
        if (head.length == 0) continue;
        assertTrue(expected.values().stream().anyMatch(ids -> ids.length >= head.length
            && Arrays.equals(Arrays.copyOf(ids, head.length), head)), "shard ends inside a missing document");
      }
      missingIds += expected.values().stream().mapToLong(ids -> ids.length + 1).sum();
      assertEquals(rows, m.splits().get(split).rows());
      assertEquals(rows * 64, m.splits().get(split).tokens());
      assertTrue(complete > 0);
    }
    assertEquals(missingIds, partialIds + m.packTailTokensDropped(), "documents not in the shards are in the tail");
    long written = m.splits().values().stream().mapToLong(TokenizeManifest.Split::tokens).sum();
    assertEquals(encodedPlusSeparators, written + m.packTailTokensDropped(), "every id is written or counted as tail");

    assertEquals("e134af98b985517b4f068e3755ae90d4e9cd2d45d328325dc503f1c6b2d06cc7", m.tokenizer().sha256());
    assertEquals(s, m.settings());
    // manifest.json's keys of format 1: the resolved tokenizer is tokenizerJson, the encoder in lower case
    String json = Files.readString(Path.of(out, TokenizeManifest.FILE_NAME));
    assertTrue(json.contains("\"tokenizerJson\" : \"" + s.tokenizer() + "\"")
        && json.contains("\"encoder\" : \"oracle\"") && json.contains("\"layout\" : \"PACK\""), json);
    assertEquals("oracle", m.tokenizer().encoder());
    assertEquals(128000, m.tokenizer().beginOfText());
    assertEquals(128001, m.tokenizer().endOfText());
    assertFalse(progress.isEmpty());
    assertTrue(progress.get(progress.size() - 1).matches("tokenize: 43/43 .*documents.*tokens/s.*"), progress.toString());
  }

  @Test
  void truncateRowsAreBosPlusTheDocumentCut() {
    String out = tmp.resolve("truncate").toString();
    TokenizeSettings s = TestSpark.settings(corpus, out, TokenizeSettings.Layout.TRUNCATE, 32);
    TokenizeResult r = TokenizeJob.run(spark, s);
    Map<String, String> docs = expectedDocuments(corpus);
    TokenizeManifest m = r.manifest();
    assertEquals("fast", m.tokenizer().encoder());

    long cut = 0;
    int seen = 0;
    for (String split : List.of("train", "validation")) {
      for (Row row : spark.read().parquet(out + "/" + split).collectAsList()) {
        String key = row.getAs("doc_id");
        assertEquals(split, SplitAssigner.splitOf(key, 0.1));
        int[] full = oracle.encode(docs.get(key));
        int[] expected = Truncator.withBosCut(128000, full, 32);
        List<Integer> ids = row.getList(row.fieldIndex("input_ids"));
        assertArrayEquals(expected, ids.stream().mapToInt(Integer::intValue).toArray(), key);
        assertEquals(expected.length, (int) row.<Integer>getAs("num_tokens"));
        assertEquals(full.length + 1, (int) row.<Integer>getAs("document_tokens"));
        cut += full.length + 1 - expected.length;
        seen++;
      }
    }
    assertEquals(docs.size(), seen);
    assertEquals(cut, m.truncatedTokensDropped());
    assertEquals(seen, m.splits().get("train").rows() + m.splits().get("validation").rows());
    assertEquals(seen, m.splits().get("train").documents() + m.splits().get("validation").documents());
  }

  @Test
  void existingOutputIsRefusedUnlessOverwriteAndNothingIsLeftBehind() throws Exception {
    Path parent = tmp.resolve("refuse");
    String out = parent.resolve("ds").toString();
    TokenizeSettings s = TestSpark.settings(corpus, out, TokenizeSettings.Layout.PACK, 128);
    TokenizeJob.run(spark, s);
    long before = Files.getLastModifiedTime(Path.of(out, "manifest.json")).toMillis();

    TokenizeException e = assertThrows(TokenizeException.class, () -> TokenizeJob.run(spark, s));
    assertTrue(e.getMessage().contains("exists") && e.getMessage().contains("ds"), e.getMessage());
    assertEquals(before, Files.getLastModifiedTime(Path.of(out, "manifest.json")).toMillis());

    TokenizeResult again = TokenizeJob.run(spark, TestSpark.with(s, false, true, s.maxDocumentBytes(), 0));
    assertTrue(again.rows() > 0);
    try (var siblings = Files.list(parent)) {
      assertEquals(List.of("ds"), siblings.map(p -> p.getFileName().toString()).toList(), "no .tmp-/.old- folders");
    }
  }

  @Test
  void aFolderWithoutTheMarkerIsIncomplete() throws Exception {
    String out = tmp.resolve("unmarked").toString();
    TokenizeJob.run(spark, TestSpark.settings(corpus, out, TokenizeSettings.Layout.PACK, 128));
    Files.delete(Path.of(out, "_SUCCESS"));
    TokenizeException e = assertThrows(TokenizeException.class, () -> TokenizedDataset.open(Path.of(out)));
    assertTrue(e.getMessage().contains("incomplete"), e.getMessage());
  }

  @Test
  void shardsHoldAtMostRowsPerShard() throws Exception {
    String out = tmp.resolve("sharded").toString();
    TokenizeSettings s = TestSpark.with(TestSpark.settings(corpus, out, TokenizeSettings.Layout.TRUNCATE, 64),
        false, false, 64L << 20, 5);
    TokenizeManifest m = TokenizeJob.run(spark, s).manifest();
    List<TokenizeManifest.Shard> train = m.splits().get("train").shards();
    assertTrue(train.size() >= 7, "41 train-ish rows in shards of 5: " + train);
    train.forEach(sh -> assertTrue(sh.rows() > 0 && sh.rows() <= 5, sh.toString()));
    assertEquals(m.splits().get("train").rows(), train.stream().mapToLong(TokenizeManifest.Shard::rows).sum());

    // the reader follows the manifest, which lists the shards in file-name order
    TokenizedDataset ds = TokenizedDataset.open(Path.of(out));
    try (var files = Files.list(Path.of(out, "train"))) {
      assertEquals(files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".parquet")).sorted().toList(),
          ds.shards("train").stream().map(f -> Path.of(f).getFileName().toString()).toList());
    }
    List<int[]> bySpark = new ArrayList<>();
    for (String shard : ds.shards("train")) bySpark.addAll(rowsInFileOrder(shard));
    List<int[]> byReader = ds.rows("train", 64);
    assertEquals(bySpark.size(), byReader.size());
    for (int i = 0; i < bySpark.size(); i++) assertArrayEquals(bySpark.get(i), byReader.get(i), "row " + i);
  }

  @Test
  void documentsKeepTheirSplitWhenTheCorpusGrows() throws Exception {
    String first = tmp.resolve("grow1").toString();
    TokenizeJob.run(spark, TestSpark.settings(corpus, first, TokenizeSettings.Layout.TRUNCATE, 16));
    Map<String, String> before = splitsByDocId(first);

    Path bigger = tmp.resolve("grown/tree"); // same root name: same repo_name for top.py
    TestCorpus.write(bigger, 40);
    for (int i = 40; i < 120; i++) TestCorpus.put(bigger.resolve("repoC/new" + i + ".py"), TestCorpus.python(i) + "# new\n");
    String corpus2 = tmp.resolve("corpus2").toString();
    CorpusIngest.run(spark, bigger, corpus2, false);
    String second = tmp.resolve("grow2").toString();
    TokenizeJob.run(spark, TestSpark.settings(corpus2, second, TokenizeSettings.Layout.TRUNCATE, 16));
    Map<String, String> after = splitsByDocId(second);

    assertEquals(before.size() + 80, after.size());
    before.forEach((doc, split) -> assertEquals(split, after.get(doc), doc));
    assertTrue(after.containsValue("validation") && after.containsValue("train"));
  }

  static Map<String, String> splitsByDocId(String dataset) {
    Map<String, String> out = new HashMap<>();
    for (String split : List.of("train", "validation")) {
      for (Row r : spark.read().parquet(dataset + "/" + split).select("doc_id").collectAsList()) {
        assertNull(out.put(r.getString(0), split), "a document in one split only");
      }
    }
    return out;
  }
}
