package narrow.data;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sha2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import narrow.data.tokenizer.TokenEncoder;
import narrow.data.tokenizer.TokenizerInfo;
import narrow.util.ObjectStores;
import narrow.util.OutputFolder;
import narrow.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * Parquet in the codeparrot/github-code schema to tokenized Parquet shards: filter languages and
 * licenses, drop exact duplicates, split train/validation by a stable hash, tokenize in each
 * partition, write {@code train/} and {@code validation/} shards, then {@code manifest.json}, then
 * the commit marker. Everything is written to a staging folder beside the output and committed by
 * {@link OutputFolder}, the marker last.
 */
public final class TokenizeJob {
  static final List<String> REQUIRED_COLUMNS = List.of("code", "repo_name", "path", "language");

  private TokenizeJob() {}

  public static TokenizeResult run(SparkSession spark, TokenizeSettings s) {
    return run(spark, s, Duration.ofSeconds(10), System.err::println);
  }

  /** @param progressEvery how often a progress line goes to {@code progressOut} */
  public static TokenizeResult run(SparkSession spark, TokenizeSettings s, Duration progressEvery,
      Consumer<String> progressOut) {
    Instant started = Instant.now();
    long t0 = System.nanoTime();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    TokenizerInfo tokenizer;
    String encoderName;
    // built once on the driver too: a bad tokenizer file fails here, before any Spark work
    try {
      TokenEncoder probe = EncoderPool.borrow(s.encoder().toString(), Path.of(s.tokenizer()));
      tokenizer = probe.info();
      encoderName = probe.name();
      EncoderPool.giveBack(s.encoder().toString(), Path.of(s.tokenizer()), probe); // in local mode a task reuses it
    } catch (UserError | UncheckedIOException e) { // a missing or malformed file; anything else is a bug
      throw new TokenizeException("tokenizer: " + e.getMessage(), e);
    }
    if (!spark.sparkContext().isLocal()) spark.sparkContext().addFile(s.tokenizer());

    try (OutputFolder staged = stage(s.output(), s.overwrite(), conf)) {
      List<String> required = new ArrayList<>(REQUIRED_COLUMNS);
      if (!s.licenses().isEmpty()) required.add("license");
      ParquetInputs inputs = ParquetInputs.scan(s.input(), required, s.skipBadRecords(), conf);

      Dataset<Row> docs = spark.read()
          .option("ignoreCorruptFiles", String.valueOf(s.skipBadRecords()))
          .parquet(inputs.files().toArray(String[]::new))
          .filter(col("language").isin(s.languages().toArray()));
      if (!s.licenses().isEmpty()) docs = docs.filter(col("license").isin(s.licenses().toArray()));
      docs = docs.select(
          col("code").cast(DataTypes.BinaryType).as("code"),
          col("repo_name"), col("path"), input_file_name().as("source_file"));

      Map<String, Double> phases = new LinkedHashMap<>();
      long mark = lap(phases, "prepare", t0);
      long inputDocuments = withSparkErrors("counting input documents", docs::count);
      mark = lap(phases, "count", mark);
      JobCounters counters = new JobCounters(spark.sparkContext());
      Dataset<Row> out = shardColumns(deduplicated(docs, s.dedup())
          .mapPartitions(new DocumentTokenizer(s, tokenizer, counters), Encoders.bean(TokenRow.class)), s.layout());

      org.apache.hadoop.fs.Path data = new org.apache.hadoop.fs.Path(staged.staging(), "_data");
      try (JobProgress progress = new JobProgress(spark.sparkContext(), counters.inputDocuments,
          counters.encodedTokens, inputDocuments, progressEvery, progressOut)) {
        withSparkErrors("tokenizing " + s.input(), () -> {
          out.write()
              .partitionBy("split")
              .option("maxRecordsPerFile", recordsPerShard(s))
              .parquet(data.toString());
          return null;
        });
      }

      mark = lap(phases, "tokenize_and_write", mark);
      FileSystem fs = staged.fs();
      Map<String, TokenizeManifest.Split> splits = new LinkedHashMap<>();
      for (String split : List.of(SplitAssigner.TRAIN, SplitAssigner.VALIDATION)) {
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(staged.staging(), split);
        org.apache.hadoop.fs.Path written = new org.apache.hadoop.fs.Path(data, "split=" + split);
        if (fs.exists(written)) {
          if (!fs.rename(written, dir)) throw new IOException("cannot rename " + written + " to " + dir);
        } else {
          fs.mkdirs(dir); // an empty split is still a folder: readers need not special-case it
        }
        List<TokenizeManifest.Shard> shards = shards(fs, dir, split, conf);
        long rowCount = shards.stream().mapToLong(TokenizeManifest.Shard::rows).sum();
        long tokens = s.layout() == TokenizeSettings.Layout.PACK
            ? rowCount * s.seqLen()
            : sumNumTokens(spark, dir, rowCount);
        splits.put(split, new TokenizeManifest.Split(
            rowCount, counters.documents(split).value(), tokens, shards));
      }
      fs.delete(data, true);

      TokenizeManifest manifest = new TokenizeManifest(
          TokenizeManifest.FORMAT_VERSION, started.toString(), Instant.now().toString(),
          s.input(), inputs.files(), inputs.corrupt(),
          new TokenizeManifest.Tokenizer(s.tokenizer(), tokenizer.sha256(), encoderName,
              tokenizer.bosId(), tokenizer.eosId()),
          s, inputDocuments, counters.duplicates.value(),
          counters.skippedCounts(inputs.corrupt().size()),
          counters.packTailTokensDropped.value(), counters.truncatedTokensDropped.value(), splits);

      manifest.write(fs, new org.apache.hadoop.fs.Path(staged.staging(), TokenizeManifest.FILE_NAME));
      staged.commit();

      lap(phases, "commit", mark);
      double seconds = (System.nanoTime() - t0) / 1e9;
      return new TokenizeResult(staged.target().toString(), manifest, seconds,
          counters.encodedTokens.value() / seconds, phases);
    } catch (FileAlreadyExistsException e) {
      throw outputExists(e);
    } catch (IOException e) {
      throw new UncheckedIOException("tokenize job: cannot write " + s.output(), e);
    }
  }

  /**
   * Starts {@code output}, staged beside it (Spark tasks write into it); refuses an existing one
   * unless {@code overwrite}.
   */
  static OutputFolder stage(String output, boolean overwrite, Configuration conf) {
    try {
      org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(output);
      return OutputFolder.stageBesideTarget(ObjectStores.reach(target, conf), target, overwrite);
    } catch (FileAlreadyExistsException e) {
      throw outputExists(e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare output " + output, e);
    }
  }

  static TokenizeException outputExists(FileAlreadyExistsException e) {
    return new TokenizeException("output " + e.getFile() + " exists; set overwrite to replace it");
  }

  /**
   * Rows arranged so that the tokenizing task can drop duplicates as it reads: all copies of a
   * content in one partition, each content's copies together, smallest repo_name/path first (the
   * copy kept, whatever the partitioning or file order). One shuffle and one sort; an aggregate
   * keeping the smallest key would sort twice, once on each side of its shuffle.
   * Without dedup, {@code content_hash} is null and nothing moves.
   */
  static Dataset<Row> deduplicated(Dataset<Row> docs, boolean dedup) {
    if (!dedup) return docs.withColumn("content_hash", lit(null).cast(DataTypes.StringType));
    return docs
        .withColumn("content_hash", sha2(coalesce(col("code"), lit(new byte[0])), 256))
        .withColumn("key", concat(col("repo_name"), lit("/"), col("path")))
        .repartition(col("content_hash"))
        .sortWithinPartitions("content_hash", "key")
        .drop("key");
  }

  /**
   * The shard columns, plus {@code split}, which the writer turns into folders: {@code input_ids}
   * ({@code array<int>}), {@code num_tokens}; for truncate also {@code doc_id} (repo_name/path)
   * and {@code document_tokens} (BOS and every id of the document, before the cut).
   */
  static Dataset<Row> shardColumns(Dataset<TokenRow> rows, TokenizeSettings.Layout layout) {
    List<Column> columns = new ArrayList<>(List.of(col("split"),
        col("inputIds").as("input_ids"), col("numTokens").as("num_tokens")));
    if (layout == TokenizeSettings.Layout.TRUNCATE) {
      columns.add(col("docId").as("doc_id"));
      columns.add(col("documentTokens").as("document_tokens"));
    }
    return rows.select(columns.toArray(Column[]::new));
  }

  /** Spark's per-task file limit, from rows and/or bytes of ids per shard; 0 is no limit. */
  static long recordsPerShard(TokenizeSettings s) {
    long byRows = s.rowsPerShard() > 0 ? s.rowsPerShard() : Long.MAX_VALUE;
    // a row holds at most seqLen 4-byte ids; Parquet only makes it smaller
    long byBytes = s.bytesPerShard() > 0 ? Math.max(1, s.bytesPerShard() / (4L * s.seqLen())) : Long.MAX_VALUE;
    long n = Math.min(byRows, byBytes);
    return n == Long.MAX_VALUE ? 0 : n;
  }

  private static List<TokenizeManifest.Shard> shards(FileSystem fs, org.apache.hadoop.fs.Path dir,
      String split, Configuration conf) throws IOException {
    List<TokenizeManifest.Shard> out = new ArrayList<>();
    for (FileStatus f : fs.listStatus(dir)) {
      String name = f.getPath().getName();
      if (!f.isFile() || !name.endsWith(".parquet")) continue;
      long rows;
      try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromStatus(f, conf))) {
        rows = r.getRecordCount();
      }
      out.add(new TokenizeManifest.Shard(split + "/" + name, rows, f.getLen()));
    }
    out.sort((a, b) -> a.path().compareTo(b.path()));
    return out;
  }

  private static long sumNumTokens(SparkSession spark, org.apache.hadoop.fs.Path dir, long rows) {
    if (rows == 0) return 0;
    Row r = spark.read().parquet(dir.toString()).agg(org.apache.spark.sql.functions.sum("num_tokens")).first();
    return r.isNullAt(0) ? 0 : r.getLong(0);
  }

  /** Records the seconds since {@code since} under {@code phase}; returns now. */
  private static long lap(Map<String, Double> phases, String phase, long since) {
    long now = System.nanoTime();
    phases.put(phase, (now - since) / 1e9);
    return now;
  }

  private interface SparkAction<T> {
    T run() throws Exception;
  }

  private static <T> T withSparkErrors(String doing, SparkAction<T> action) {
    try {
      return action.run();
    } catch (TokenizeException e) {
      throw e;
    } catch (Exception e) {
      throw SparkErrors.explain(doing, e);
    }
  }
}
