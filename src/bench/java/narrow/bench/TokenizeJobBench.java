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
import narrow.util.LocalFolders;
import narrow.util.UserError;
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
   * @param rawTokensPerCpuSecond the same per second of the thread's CPU time
   * @param jobTokensPerCpuSecond per second of the whole JVM's CPU time during the job: unlike
   *     wall time, this does not change when other processes share the cores
   */
  public record Result(String encoder, long documents, long bytes, long tokens,
      double rawTokensPerSecond, Map<String, Double> jobTokensPerSecond,
      Map<String, Map<String, Double>> jobPhaseSeconds,
      double rawTokensPerCpuSecond, Map<String, Double> jobTokensPerCpuSecond) {

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
        sb.append(String.format(Locale.ROOT, "    per CPU-second: %,12.0f tokens = %.0f%% of raw's %,.0f%n",
            jobTokensPerCpuSecond.get(e.getKey()), 100 * jobTokensPerCpuSecond.get(e.getKey()) / rawTokensPerCpuSecond,
            rawTokensPerCpuSecond));
        sb.append("    phases (s): ").append(jobPhaseSeconds.get(e.getKey()).entrySet().stream()
            .map(p -> String.format(Locale.ROOT, "%s %.2f", p.getKey(), p.getValue()))
            .collect(java.util.stream.Collectors.joining(", "))).append('\n');
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
    double rawCpu = 0;
    long tokens = 0;
    var threads = java.lang.management.ManagementFactory.getThreadMXBean();
    var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    try (TokenEncoder enc = TokenEncoders.create(encoder, tokenizerJson)) {
      for (int i = 0; i <= repeats; i++) {
        long t0 = System.nanoTime();
        long c0 = threads.getCurrentThreadCpuTime();
        long n = 0;
        for (String d : docs) n += enc.encode(d).length;
        double rate = n / ((System.nanoTime() - t0) / 1e9);
        double cpuRate = n / ((threads.getCurrentThreadCpuTime() - c0) / 1e9);
        tokens = n;
        if (i > 0) { // i == 0 warms the JIT
          raw = Math.max(raw, rate);
          rawCpu = Math.max(rawCpu, cpuRate);
        }
      }
    }
    Map<String, Double> job = new java.util.LinkedHashMap<>();
    Map<String, Map<String, Double>> phases = new java.util.LinkedHashMap<>();
    Map<String, Double> jobCpu = new java.util.LinkedHashMap<>();
    for (String master : List.of("local[1]", "local[2]")) {
      SparkSession spark = session(master);
      try {
        double best = 0;
        for (int i = 0; i <= repeats; i++) {
          Path out = work.resolve("out-" + master.replaceAll("\\W", "") + "-" + i);
          long c0 = os.getProcessCpuTime();
          TokenizeResult r = TokenizeJob.run(spark, new TokenizeSettings(corpus, out.toString(),
              List.of("Python"), List.of(), TokenizeSettings.Layout.PACK, 1024, 0.01,
              tokenizerJson.toString(), TokenizeSettings.Encoder.valueOf(encoder.toUpperCase(java.util.Locale.ROOT)),
              0L, 256L << 20, true, true, 64L << 20, false),
              java.time.Duration.ofSeconds(30), System.err::println);
          double cpuRate = r.encodedTokensPerSecond() * r.seconds() / ((os.getProcessCpuTime() - c0) / 1e9);
          if (i > 0) jobCpu.merge(master, cpuRate, Math::max);
          if (i > 0 && r.encodedTokensPerSecond() > best) {
            best = r.encodedTokensPerSecond();
            phases.put(master, r.phaseSeconds());
          }
          LocalFolders.deleteRecursively(out);
        }
        job.put(master, best);
      } finally {
        spark.stop();
      }
    }
    return new Result(encoder, docs.size(), bytes, tokens, raw, job, phases, rawCpu, jobCpu);
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

  private static void markCopy(Path dir, int copy) throws IOException {
    try (var files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        byte[] body = Files.readAllBytes(f);
        byte[] head = ("# copy " + copy + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] both = java.util.Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, both, head.length, body.length);
        Files.write(f, both);
      }
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

  /** The {@code source} that names this machine's Python standard library. */
  public static final String STDLIB = "stdlib";

  /**
   * Args: [corpus parquet or source folder; "stdlib" (default) for this machine's Python stdlib]
   * [fast|oracle] [repeats] [copies]; see {@link #measure}.
   */
  public static void main(String[] args) throws Exception {
    Result r = measure(args.length > 0 ? args[0] : STDLIB,
        args.length > 1 ? args[1] : "fast",
        args.length > 2 ? Integer.parseInt(args[2]) : 2,
        args.length > 3 ? Integer.parseInt(args[3]) : 1);
    System.out.println(r.report());
  }

  /**
   * Ingests {@code source} when it is not a corpus yet, in a scratch folder deleted afterwards,
   * and {@link #run}s the benchmark on it with the cached Llama-3.1 tokenizer.
   *
   * @param source a codeparrot Parquet corpus (a {@code .parquet} file or a folder with
   *     {@code _SUCCESS}), a source folder, or {@link #STDLIB}
   * @param copies for {@link #STDLIB}: the library this many times, each copy's files made
   *     distinct by a first comment line, so dedup keeps them: a corpus large enough for fixed
   *     costs to fade
   */
  public static Result measure(String source, String encoder, int repeats, int copies) throws IOException {
    if (repeats < 1) throw new UserError("repeats must be at least 1 (one warm-up run comes first), got " + repeats);
    Path work = Files.createTempDirectory("tokenize-bench");
    try {
      String corpus;
      Path folder = source.equals(STDLIB) ? null : Path.of(source);
      if (folder != null && (folder.toString().endsWith(".parquet") || Files.exists(folder.resolve("_SUCCESS")))) {
        corpus = folder.toString();
      } else {
        if (folder == null) {
          Path stdlib = PythonLibrary.find().orElseThrow(() -> new UserError(
              "no Python standard library found: pass a source folder or a codeparrot Parquet corpus"));
          folder = work.resolve("python3-stdlib");
          for (int c = 0; c < copies; c++) {
            Path copy = folder.resolve("copy" + c);
            PythonLibrary.copySubset(stdlib, copy, Integer.MAX_VALUE, true);
            if (c > 0) markCopy(copy, c);
          }
        } else if (!Files.isDirectory(folder)) {
          throw new UserError("no such source folder or corpus: " + folder);
        }
        corpus = work.resolve("corpus").toString();
        SparkSession spark = session("local[2]");
        try {
          CorpusIngest.run(spark, folder, corpus, false);
        } finally {
          spark.stop();
        }
      }
      return run(corpus, TokenizerFiles.defaultLlama31(), encoder, work, repeats);
    } finally {
      LocalFolders.deleteRecursively(work);
    }
  }
}
