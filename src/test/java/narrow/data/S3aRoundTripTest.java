package narrow.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Input from s3a://, shards and manifest to s3a://, against S3Proxy on loopback. */
@narrow.Slow
class S3aRoundTripTest {
  static S3ProxyServer s3;
  static SparkSession spark;
  @TempDir static Path tmp;

  @BeforeAll
  static void start() throws Exception {
    s3 = S3ProxyServer.start(tmp);
    s3.createBucket("narrow");
    Map<String, String> sparkSettings = new java.util.LinkedHashMap<>();
    s3.s3aSettings().forEach((k, v) -> sparkSettings.put("spark.hadoop." + k, v));
    spark = TestSpark.start("S3aRoundTripTest", sparkSettings);
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      try {
        FileSystem.closeAll(); // cached s3a clients point at this server
      } catch (java.io.IOException ignored) {
        // closing is best effort
      }
      spark.stop();
    }
    if (s3 != null) s3.close();
  }

  @Test
  void tokenizesFromS3aToS3aAndReadsTheManifestBack() throws Exception {
    Path tree = tmp.resolve("tree");
    TestCorpus.write(tree, 12);
    org.apache.hadoop.fs.Path input = new org.apache.hadoop.fs.Path("s3a://narrow/corpus");
    IngestResult ingested = CorpusIngest.run(spark, tree, input.toString(), false); // ingest writes s3a too
    assertEquals(15, ingested.byLanguage().get("Python"));
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    FileSystem s3fs = input.getFileSystem(conf);

    String output = "s3a://narrow/tokenized/python";
    List<String> progress = new CopyOnWriteArrayList<>();
    TokenizeSettings s = TestSpark.settings(input.toString(), output, TokenizeSettings.Layout.PACK, 32);
    TokenizeResult r = TokenizeJob.run(spark, s, Duration.ofMillis(200), progress::add);
    assertTrue(r.output().startsWith("s3a://narrow/tokenized/python"), r.output());

    TokenizedDataset ds = TokenizedDataset.open(output, conf);
    TokenizeManifest m = ds.manifest().orElseThrow();
    assertEquals(r.manifest(), m);
    assertEquals(15, m.inputDocuments()); // 12 modules + duplicate + empty + top.py
    assertTrue(m.inputFiles().stream().allMatch(f -> f.startsWith("s3a://narrow/corpus/")), m.inputFiles().toString());
    long rows = 0;
    for (String shard : ds.shards("train")) {
      assertTrue(shard.startsWith("s3a://narrow/tokenized/python/train/"), shard);
      for (Row row : spark.read().parquet(shard).collectAsList()) {
        assertEquals(32, row.getList(row.fieldIndex("input_ids")).size());
        rows++;
      }
    }
    assertEquals(m.splits().get("train").rows(), rows);
    List<int[]> read = ds.rows("train", 32); // the trainer's reader, over s3a
    assertEquals(rows, read.size());
    assertTrue(read.stream().allMatch(ids -> ids.length == 32));
    assertTrue(rows > 0);
    assertTrue(s3fs.exists(new org.apache.hadoop.fs.Path(output, "_SUCCESS")));
    // nothing but the dataset is left in the bucket's tokenized/ folder
    assertEquals(1, s3fs.listStatus(new org.apache.hadoop.fs.Path("s3a://narrow/tokenized")).length);

    // an existing s3a output is refused too
    TokenizeException refused = assertThrows(TokenizeException.class, () -> TokenizeJob.run(spark, s));
    assertTrue(refused.getMessage().contains("exists"));

    // the secret never reaches what this job prints or writes
    String manifestText = new String(s3fs.open(new org.apache.hadoop.fs.Path(output, "manifest.json")).readAllBytes(),
        StandardCharsets.UTF_8);
    for (String text : List.of(manifestText, String.join("\n", progress), refused.getMessage(), r.toString())) {
      assertFalse(text.contains(s3.secretKey), "secret key leaked");
      assertFalse(text.contains(s3.accessKey), "access key leaked");
    }
  }
}
