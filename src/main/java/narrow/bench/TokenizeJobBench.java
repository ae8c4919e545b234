package narrow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import narrow.data.CorpusIngest;
import narrow.data.PythonLibrary;
import narrow.data.TokenizeJob;
import narrow.data.TokenizeResult;
import narrow.data.TokenizeSettings;
import narrow.data.tokenizer.TokenEncoder;
import narrow.data.tokenizer.TokenEncoders;
import narrow.data.tokenizer.TokenizerFiles;
import narrow.util.AtomicDirectory;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * End-to-end tokenize job throughput on {@code local[1]} and {@code local[2]}, beside the raw
 * encoder's single-thread throughput on the same documents, in one run. Not a test: numbers
 * depend on the machine and its load. The job's figure is ids out of the encoder per second of
 * the job's whole wall time (read, count, dedup shuffle, encode, write, manifest).
 *
 * <pre>java … narrow.bench.TokenizeJobBench [corpus-parquet-or-source-folder] [fast|oracle]</pre>
 */
public final class TokenizeJobBench {
  private TokenizeJobBench() {}

  /**
   * @param rawTokensPerSecond the encoder alone, one thread, documents already in memory
   * @param jobTokensPerSecond by Spark master: local[1], local[2]
   */
  public record Result(String encoder, long documents, long bytes, long tokens,
      double rawTokensPerSecond, Map<String, Double> jobTokensPerSecond) {

    /** Job throughput per core over raw throughput: 1.0 is no overhead at all. */
    public double perCoreRatio(String master, int cores) {
      return jobTokensPerSecond.get(master) / cores / rawTokensPerSecond;
    }

    public String report() {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format(Locale.ROOT, "corpus: %d documents, %.1f MB, %d tokens; encoder %s%n",
          documents, bytes / 1e6, tokens, encoder));
      sb.append(String.format(Locale.ROOT, "raw encoder, 1 thread : %,12.0f tokens/s%n", rawTokensPerSecond));
      for (var e : jobTokensPerSecond.entrySet()) {
        int cores = e.getKey().equals("local[1]") ? 1 : 2;
        sb.append(String.format(Locale.ROOT, "job %-8s          : %,12.0f tokens/s = %.0f%% of raw per core%n",
            e.getKey(), e.getValue(), 100 * perCoreRatio(e.getKey(), cores)));
      }
      return sb.toString();
    }
  }

  /**
   * @param corpus Parquet in the codeparrot schema (what the job reads)
   * @param work a scratch folder for the job outputs
   * @param repeats measured runs of each side (after one warm-up); the best is kept, since load
   *     from other processes only ever makes a run slower
   */
  public static Result run(String corpus, Path tokenizerJson, String encoder, Path work, int repeats)
      throws IOException {
    List<String> docs = documents(corpus);
    long bytes = docs.stream().mapToLong(d -> d.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).sum();
    double raw = 0;
    long tokens = 0;
    try (TokenEncoder enc = TokenEncoders.create(encoder, tokenizerJson)) {
      for (int i = 0; i <= repeats; i++) {
        long t0 = System.nanoTime();
        long n = 0;
        for (String d : docs) n += enc.encode(d).length;
        double rate = n / ((System.nanoTime() - t0) / 1e9);
        tokens = n;
        if (i > 0) raw = Math.max(raw, rate); // i == 0 warms the JIT
      }
    }
    Map<String, Double> job = new java.util.LinkedHashMap<>();
    for (String master : List.of("local[1]", "local[2]")) {
      SparkSession spark = session(master);
      try {
        double best = 0;
        for (int i = 0; i <= repeats; i++) {
          Path out = work.resolve("out-" + master.replaceAll("\\W", "") + "-" + i);
          TokenizeResult r = TokenizeJob.run(spark, new TokenizeSettings(corpus, out.toString(),
              List.of("Python"), List.of(), TokenizeSettings.Layout.PACK, 1024, 0.01,
              tokenizerJson.toString(), encoder, 0, 256L << 20, true, true, 64L << 20, false),
              java.time.Duration.ofSeconds(30), System.err::println);
          if (i > 0) best = Math.max(best, r.encodedTokensPerSecond());
          AtomicDirectory.deleteRecursively(out);
        }
        job.put(master, best);
      } finally {
        spark.stop();
      }
    }
    return new Result(encoder, docs.size(), bytes, tokens, raw, job);
  }

  /** What the job tokenizes: distinct, non-empty Python documents. */
  private static List<String> documents(String corpus) {
    SparkSession spark = session("local[2]");
    try {
      List<String> out = new ArrayList<>();
      for (Row r : spark.read().parquet(corpus).filter("language = 'Python' AND code != ''")
          .select("code").distinct().collectAsList()) {
        out.add(r.getString(0));
      }
      return out;
    } finally {
      spark.stop();
    }
  }

  private static SparkSession session(String master) {
    return SparkSession.builder().master(master).appName("TokenizeJobBench " + master)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
  }

  /** Args: [corpus parquet or source folder (default: this machine's Python stdlib)] [fast|oracle] [repeats]. */
  public static void main(String[] args) throws Exception {
    String encoder = args.length > 1 ? args[1] : "fast";
    int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    Path work = Files.createTempDirectory("tokenize-bench");
    try {
      String corpus;
      Path source = args.length > 0 ? Path.of(args[0]) : null;
      if (source != null && (source.toString().endsWith(".parquet") || Files.exists(source.resolve("_SUCCESS")))) {
        corpus = source.toString();
      } else {
        if (source == null) {
          Path stdlib = PythonLibrary.find().orElseThrow(() -> new IllegalStateException(
              "no Python standard library found: pass a source folder or a codeparrot Parquet corpus"));
          source = work.resolve("python3-stdlib");
          PythonLibrary.copySubset(stdlib, source, Integer.MAX_VALUE, true);
        }
        corpus = work.resolve("corpus").toString();
        SparkSession spark = session("local[2]");
        try {
          CorpusIngest.run(spark, source, corpus, false);
        } finally {
          spark.stop();
        }
      }
      Result r = run(corpus, TokenizerFiles.defaultLlama31(), encoder, work, repeats);
      System.out.println(r.report());
    } finally {
      AtomicDirectory.deleteRecursively(work);
    }
  }
}
