package narrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import narrow.model.LlamaConfig;
import narrow.train.ModelSource;
import narrow.train.TrainRun;
import narrow.train.Trainer;
import narrow.train.TrainingArguments;
import narrow.util.AtomicDirectory;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Training speed and memory of the real {@link Trainer} step (data collation, forward, backward,
 * clipping, AdamW) for a preset at one sequence length, next to the same step in eager PyTorch
 * ({@code src/bench/python/torch_train_reference.py}, /usr/bin/python3) run in the same process tree, and a
 * long run of a tiny model to see whether native memory grows.
 *
 * <pre>java ... narrow.bench.TrainBench [preset=d256_l4_h4] [seq=256] [batch=4] [warmup=2] [steps=5]
 *     [growth_steps=1000] [python=/usr/bin/python3]</pre>
 */
public final class TrainBench {
  private TrainBench() {}

  public record Options(String preset, int seqLen, int batch, int warmupSteps, int timedSteps, int growthSteps,
      String python, Path torchScript) {
    public static Options defaults() {
      return new Options("d256_l4_h4", 256, 4, 2, 5, 1000, "/usr/bin/python3",
          Path.of(System.getProperty("narrow.home", ""), "src/bench/python/torch_train_reference.py"));
    }
  }

  /**
   * @param mfu 6 × params × tokens/s over {@code peakFlops}
   * @param rssAfterWarmupKb / {@code rssAtEndKb}: resident memory outside the Java heap in the
   *     tiny long run after its first 50 steps and at its end (growth = native leak)
   * @param torchTokensPerSecond eager PyTorch on the same shapes, NaN when it could not run
   */
  public record Result(String preset, int seqLen, int batch, long params, double tokensPerSecond,
      double stepSeconds, List<Double> allStepSeconds, double peakFlops, String peakHow, double mfu, long vmHwmKb, long growthSteps,
      long rssAfterWarmupKb, long rssAtEndKb, double torchTokensPerSecond, String torchInfo) {

    public double ratioToTorch() {
      return tokensPerSecond / torchTokensPerSecond;
    }

    public String report() {
      return String.format(Locale.ROOT, String.join("\n",
          "TrainBench %s seq %d batch %d (%d parameters, %d threads)",
          "  narrow (libtorch): %.0f tokens/s, %.3f s/step (fastest of the timed steps: %s)",
          "  MFU: %.2f%% of %.1f GFLOP/s peak (%s)",
          "  eager PyTorch: %.0f tokens/s (%s); narrow/PyTorch = %.2f",
          "  peak resident (VmHWM): %d MiB",
          "  native memory (RSS - Java heap), tiny model %d steps: %d MiB after 50 steps, %d MiB at the end (%+d MiB)"),
          preset, seqLen, batch, params, Runtime.getRuntime().availableProcessors(),
          tokensPerSecond, stepSeconds, allStepSeconds, 100 * mfu, peakFlops / 1e9, peakHow,
          torchTokensPerSecond, torchInfo, ratioToTorch(), vmHwmKb / 1024, growthSteps,
          rssAfterWarmupKb / 1024, rssAtEndKb / 1024, (rssAtEndKb - rssAfterWarmupKb) / 1024);
    }
  }

  public static void main(String[] argv) throws Exception {
    Options o = Options.defaults();
    for (String a : argv) {
      String[] kv = a.split("=", 2);
      o = switch (kv[0]) {
        case "preset" -> new Options(kv[1], o.seqLen(), o.batch(), o.warmupSteps(), o.timedSteps(), o.growthSteps(), o.python(), o.torchScript());
        case "seq" -> new Options(o.preset(), Integer.parseInt(kv[1]), o.batch(), o.warmupSteps(), o.timedSteps(), o.growthSteps(), o.python(), o.torchScript());
        case "batch" -> new Options(o.preset(), o.seqLen(), Integer.parseInt(kv[1]), o.warmupSteps(), o.timedSteps(), o.growthSteps(), o.python(), o.torchScript());
        case "warmup" -> new Options(o.preset(), o.seqLen(), o.batch(), Integer.parseInt(kv[1]), o.timedSteps(), o.growthSteps(), o.python(), o.torchScript());
        case "steps" -> new Options(o.preset(), o.seqLen(), o.batch(), o.warmupSteps(), Integer.parseInt(kv[1]), o.growthSteps(), o.python(), o.torchScript());
        case "growth_steps" -> new Options(o.preset(), o.seqLen(), o.batch(), o.warmupSteps(), o.timedSteps(), Integer.parseInt(kv[1]), o.python(), o.torchScript());
        case "python" -> new Options(o.preset(), o.seqLen(), o.batch(), o.warmupSteps(), o.timedSteps(), o.growthSteps(), kv[1], o.torchScript());
        default -> throw new IllegalArgumentException("unknown option " + a);
      };
    }
    System.out.println(run(o).report());
  }

  public static Result run(Options o) throws Exception {
    Path work = Files.createTempDirectory("trainbench");
    try {
      LlamaConfig cfg = LlamaConfig.preset(o.preset());
      Path data = syntheticDataset(work.resolve("data"), cfg.vocabSize(), o.seqLen(), o.batch() * (o.warmupSteps() + o.timedSteps()), 1);
      TrainingArguments args = benchArgs(work.resolve("out"), o.seqLen(), o.batch(), o.warmupSteps() + o.timedSteps());
      long params;
      List<Double> stepSeconds = new ArrayList<>();
      long tokensPerStep = 0;
      try (Trainer t = Trainer.open(TrainRun.of(new ModelSource.Preset(o.preset(), 0), data, args))) {
        params = t.model().parameters().values().stream().mapToLong(narrow.engine.Tensors::numel).sum();
        for (int i = 0; i < o.warmupSteps(); i++) t.step();
        for (int i = 0; i < o.timedSteps(); i++) {
          Trainer.StepStats s = t.step();
          stepSeconds.add(s.seconds());
          tokensPerStep = s.paddedTokens();
        }
      }
      // best step: on a shared machine the fastest step is the least disturbed one (the PyTorch
      // side reports the same way)
      double best = stepSeconds.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
      double tps = tokensPerStep / best;
      Peak peak = cpuPeak();
      long hwm = procStatusKb("VmHWM");

      long[] growth = growthRun(work.resolve("growth"), o.growthSteps());

      double torchTps = Double.NaN;
      String torchInfo = "not run";
      try {
        JsonNode j = runTorch(o, cfg);
        torchTps = j.get("tokens_per_second").asDouble();
        torchInfo = "step seconds " + j.get("step_seconds_all") + ", torch " + j.get("torch").asText() + ", " + j.get("threads").asInt() + " threads, "
            + j.get("params").asLong() + " parameters";
      } catch (IOException e) {
        torchInfo = "failed: " + e.getMessage();
      }
      return new Result(o.preset(), o.seqLen(), o.batch(), params, tps, best, stepSeconds, peak.flops(),
          peak.how(), 6.0 * params * tps / peak.flops(), hwm, o.growthSteps(), growth[0], growth[1], torchTps,
          torchInfo);
    } finally {
      AtomicDirectory.deleteRecursively(work);
    }
  }

  static TrainingArguments benchArgs(Path out, int seqLen, int batch, long steps) {
    return TrainingArguments.defaults(out.toString()).with(Map.of("max_steps", steps, "max_length", seqLen,
        "per_device_train_batch_size", batch, "logging_steps", 0, "eval_steps", 0, "save_steps", 0,
        "learning_rate", 5e-4, "weight_decay", 0.01, "warmup_steps", 1, "lr_scheduler_type", "cosine"));
  }

  /**
   * Resident memory outside the Java heap during a tiny model's long run: {after 50 steps, at
   * the end} in KiB. RSS minus the committed Java heap after a GC, so that the heap's own growth
   * (it may expand towards -Xmx) does not read as a native leak.
   */
  static long[] growthRun(Path work, int steps) throws IOException {
    LlamaConfig tiny = LlamaConfig.read(fixtureConfig());
    Path data = syntheticDataset(work.resolve("data"), tiny.vocabSize(), 64, 64, 2);
    TrainingArguments args = benchArgs(work.resolve("out"), 64, 4, steps);
    long after = 0;
    try (Trainer t = Trainer.open(TrainRun.of(new ModelSource.Fresh(tiny, 0), data, args))) {
      for (int i = 1; i <= steps; i++) {
        t.step();
        if (i == Math.min(50, steps)) after = nativeResidentKb();
      }
    }
    return new long[] {after, nativeResidentKb()};
  }

  static long nativeResidentKb() throws IOException {
    System.gc();
    return procStatusKb("VmRSS") - Runtime.getRuntime().totalMemory() / 1024;
  }

  /** The tiny fixture model's config (vocab 320, hidden 64): a fast model for the long run. */
  static Path fixtureConfig() {
    Path p = Path.of(System.getProperty("narrow.fixtures", "../shared/fixtures"), "llama-tiny", "untied-mha",
        "config.json");
    if (!Files.exists(p)) throw new IllegalStateException("no fixture config at " + p + " (set -Dnarrow.fixtures)");
    return p;
  }

  static JsonNode runTorch(Options o, LlamaConfig cfg) throws IOException, InterruptedException {
    if (!Files.exists(o.torchScript())) throw new IOException("no " + o.torchScript());
    List<String> cmd = new ArrayList<>(List.of(o.python(), o.torchScript().toString(),
        "--vocab", "" + cfg.vocabSize(), "--hidden", "" + cfg.hiddenSize(), "--layers", "" + cfg.numHiddenLayers(),
        "--heads", "" + cfg.numAttentionHeads(), "--seq", "" + o.seqLen(), "--batch", "" + o.batch(),
        "--warmup", "" + o.warmupSteps(), "--steps", "" + o.timedSteps(),
        "--threads", "" + Runtime.getRuntime().availableProcessors()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) throw new IOException(out);
    String last = out.strip().lines().reduce((a, b) -> b).orElse("{}");
    return new ObjectMapper().readTree(last);
  }

  /** Random ids in pack layout: speed does not depend on the data. */
  static Path syntheticDataset(Path dir, int vocab, int seqLen, int rows, long seed) throws IOException {
    MessageType schema = MessageTypeParser.parseMessageType(
        "message spark_schema { optional group input_ids (LIST) { repeated group list { optional int32 element; } } }");
    SplittableRandom rng = new SplittableRandom(seed);
    Files.createDirectories(dir.resolve("train"));
    Configuration conf = new Configuration(false);
    conf.set("fs.file.impl", "org.apache.hadoop.fs.LocalFileSystem");
    SimpleGroupFactory f = new SimpleGroupFactory(schema);
    try (ParquetWriter<Group> w = ExampleParquetWriter
        .builder(new org.apache.hadoop.fs.Path(dir.resolve("train/part-00000.parquet").toUri()))
        .withConf(conf).withType(schema).build()) {
      for (int r = 0; r < rows; r++) {
        Group g = f.newGroup();
        Group list = g.addGroup("input_ids");
        for (int i = 0; i < seqLen; i++) list.addGroup("list").append("element", rng.nextInt(vocab));
        w.write(g);
      }
    }
    Files.writeString(dir.resolve("_SUCCESS"), "");
    return dir;
  }

  /** Peak float32 FLOP/s and how it was estimated. */
  public record Peak(double flops, String how) {}

  /**
   * cores × clock × FLOPs per cycle per core. FLOPs per cycle from the widest FMA in
   * /proc/cpuinfo flags, assuming two FMA ports (server cores): AVX-512 2×16×2 = 64, AVX2+FMA
   * 2×8×2 = 32, AVX 16, else 8. Clock: "cpu MHz" (the nominal clock a VM reports; turbo ignored).
   */
  public static Peak cpuPeak() throws IOException {
    String info = Files.readString(Path.of("/proc/cpuinfo"));
    double mhz = 0;
    String flags = "";
    for (String line : info.split("\n")) {
      if (mhz == 0 && line.startsWith("cpu MHz")) mhz = Double.parseDouble(line.split(":")[1].trim());
      if (flags.isEmpty() && line.startsWith("flags")) flags = " " + line.split(":")[1].trim() + " ";
    }
    int cores = Runtime.getRuntime().availableProcessors();
    int perCycle;
    String isa;
    if (flags.contains(" avx512f ")) { perCycle = 64; isa = "AVX-512 FMA, 2 units x 16 lanes x 2"; }
    else if (flags.contains(" avx2 ") && flags.contains(" fma ")) { perCycle = 32; isa = "AVX2 FMA, 2 units x 8 lanes x 2"; }
    else if (flags.contains(" avx ")) { perCycle = 16; isa = "AVX, add + mul x 8 lanes"; }
    else { perCycle = 8; isa = "SSE"; }
    double flops = cores * mhz * 1e6 * perCycle;
    return new Peak(flops, String.format(Locale.ROOT, "%d cores x %.0f MHz x %d FLOP/cycle (%s)",
        cores, mhz, perCycle, isa));
  }

  /** A "Vm..." line of /proc/self/status in KiB. */
  public static long procStatusKb(String key) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(key + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
    return -1;
  }
}
