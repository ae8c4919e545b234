package narrow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import narrow.bench.TrainBenchOptions.BenchConfig;
import narrow.model.LlamaConfig;

/**
 * Training speed and memory of narrow's real {@link narrow.train.Trainer} step (data collation,
 * forward, backward, clipping, AdamW) in float32 and under bf16 autocast, side by side with the
 * same step in eager PyTorch (the system's, Debian's 1.13, and a PyTorch 2.x of the same libtorch
 * release), each attention kernel (eager, SDPA) of each, plus a long run of a tiny model that
 * shows whether native memory grows.
 *
 * <p>Every side is its own process ({@link WorkerProcess}) under the same native allocator
 * settings (those of jobs/narrow, or each of {@code --allocators}). The machine is shared and
 * noisy, so rounds interleave the sides (round r runs every side's steps for every kernel, then
 * round r+1 ...) and each figure is the median of a side's steps over all rounds. Sides stay
 * alive between rounds while memory allows; where it does not (the 128,256-token vocabulary makes
 * d768_l12_h12 take about 10 GB a side), one is stopped before the next starts, and the restarted
 * one warms up again, untimed. Model-FLOPs utilisation is measured against the matmul rate each
 * side's own library reaches on the model's own GEMM shapes (in bfloat16 for bf16 sides), timed
 * in the same rounds.
 *
 * <pre>jobs/narrow bench train [--config d256_l4_h4:4x256] [--sides ...] [--allocators glibc,jemalloc] ...</pre>
 *
 * {@link BenchCommand.Train} lists the options.
 */
public final class TrainBench {
  /** Memory kept free for the rest of the machine when deciding whether a side may start. */
  private static final long MEMORY_MARGIN_KB = 1536L * 1024;
  /** How long a side waits for memory before it skips a round. */
  private static final long MEMORY_WAIT_NANOS = 180_000_000_000L;
  /** Untimed steps of the growth run before its first measurement (both kernels warmed). */
  static final int GROWTH_WARMUP_STEPS = 100;

  private TrainBench() {}

  /** One side of the comparison: an engine in one precision under one allocator. */
  public record Side(String id, boolean narrow, boolean bf16, String python, NativeAllocator allocator) {
    static Side of(String id, NativeAllocator allocator, TrainBenchOptions o) {
      return switch (id) {
        case "narrow-f32" -> new Side(id, true, false, null, allocator);
        case "narrow-bf16" -> new Side(id, true, true, null, allocator);
        case "system-torch-f32" -> new Side(id, false, false, o.pythonSystem(), allocator);
        case "torch-f32" -> new Side(id, false, false, o.python(), allocator);
        case "torch-bf16" -> new Side(id, false, true, o.python(), allocator);
        default -> throw new IllegalArgumentException("unknown side " + id);
      };
    }

    /** The id, with the allocator when the run compares allocators. */
    public String label() {
      return allocator == NativeAllocator.INHERIT ? id : id + " [" + allocator.name() + "]";
    }

    /** Why this side cannot run here, or null. */
    String unavailable() {
      if (!allocator.available()) return allocator.set().get("LD_PRELOAD") + " is absent";
      if (python != null && !Files.isExecutable(Path.of(python))) return python + " is absent";
      return null;
    }
  }

  /** What one side measured on one config; filled round by round. */
  static final class SideRun {
    final Side side;
    final Map<String, List<Double>> stepSeconds = new LinkedHashMap<>();
    final Map<String, List<Double>> cpuSeconds = new LinkedHashMap<>();
    final Map<String, List<Double>> pageFaults = new LinkedHashMap<>();
    final Map<String, List<double[]>> phases = new LinkedHashMap<>();
    final List<Double> layerGemmSeconds = new ArrayList<>();
    final List<Double> headGemmSeconds = new ArrayList<>();
    String engine = "";
    /** The kernel the side trains with by default (narrow's choice for the device and dtype), or null. */
    String defaultKernel;
    long params;
    List<String> kernels = List.of();
    long peakKb;
    long lastRssKb;
    int launches;
    /** Whether the process was started for this round (it then warms up once more). */
    boolean fresh;
    /** Rounds left out for want of memory. */
    int skippedRounds;
    String note;

    SideRun(Side side) {
      this.side = side;
      this.note = side.unavailable();
    }

    boolean active() {
      return note == null;
    }

    void add(String kernel, WorkerProcess.Steps s) {
      List<Double> wall = stepSeconds.computeIfAbsent(kernel, k -> new ArrayList<>());
      List<Double> cpu = cpuSeconds.computeIfAbsent(kernel, k -> new ArrayList<>());
      List<Double> faults = pageFaults.computeIfAbsent(kernel, k -> new ArrayList<>());
      for (double x : s.seconds()) wall.add(x);
      for (double x : s.cpuSeconds()) cpu.add(x);
      for (double x : s.pageFaults()) faults.add(x);
      if (s.phases().length > 0) phases.computeIfAbsent(kernel, k -> new ArrayList<>()).addAll(List.of(s.phases()));
    }

    void record(WorkerProcess.Memory m) {
      peakKb = Math.max(peakKb, m.hwmKb());
      lastRssKb = m.rssKb();
    }
  }

  public static TrainBenchReport run(TrainBenchOptions o, Consumer<String> log) throws IOException {
    long start = System.nanoTime();
    String loadBefore = loadAverage();
    List<TrainBenchReport.GrowthResult> growth = new ArrayList<>();
    if (o.growthSteps() > 0) {
      for (NativeAllocator allocator : o.allocators()) {
        for (String id : List.of("narrow-f32", "narrow-bf16")) growth.add(growthRun(Side.of(id, allocator, o), o, log));
      }
    }
    List<TrainBenchReport.ConfigResult> configs = new ArrayList<>();
    for (BenchConfig c : o.configs()) configs.add(runConfig(c, o, log));
    return new TrainBenchReport(o, machine(loadBefore), configs, growth, (System.nanoTime() - start) / 60e9);
  }

  private static TrainBenchReport.ConfigResult runConfig(BenchConfig c, TrainBenchOptions o,
      Consumer<String> log) throws IOException {
    LlamaConfig cfg = LlamaConfig.preset(c.preset());
    ModelShape shape = ModelShape.of(cfg);
    List<SideRun> runs = new ArrayList<>();
    for (NativeAllocator allocator : o.allocators()) {
      for (String id : o.sides()) runs.add(new SideRun(Side.of(id, allocator, o)));
    }
    long tokens = (long) c.batch() * c.seq();
    long estimateKb = shape.estimatedTrainingBytes(c.batch(), c.seq()) / 1024;
    try (WorkerPool pool = new WorkerPool(runs, estimateKb, log)) {
      for (int round = 1; round <= c.rounds(); round++) {
        // each round starts one side further on, so no side always runs right after the same other
        for (int i = 0; i < runs.size(); i++) {
          SideRun run = runs.get((i + round - 1) % runs.size());
          if (!run.active()) continue;
          String where = String.format(Locale.ROOT, "%s round %d/%d %s", c.preset(), round, c.rounds(),
              run.side.label());
          try {
            WorkerProcess w = pool.acquire(run, () -> launch(run, c, cfg, o));
            StringBuilder line = new StringBuilder(where).append(":");
            for (String kernel : run.kernels) {
              // untimed: the first steps after an idle spell or a kernel switch pay for allocations
              // the steady state reuses, and a new process's first step for much more (optimizer
              // state, the allocator's heap growing to its working size)
              w.steps(o.warmup() + (run.fresh ? 1 : 0), kernel);
              run.fresh = false;
              WorkerProcess.Steps s = w.steps(c.steps(), kernel);
              run.add(kernel, s);
              line.append(String.format(Locale.ROOT, " %s %.0f tokens/s (%.2f CPU s, %.0f page faults a step)",
                  kernel, tokens / median(s.seconds()), median(s.cpuSeconds()), median(s.pageFaults())));
            }
            String dtype = run.side.bf16() ? "bfloat16" : "float32";
            addTimings(run.layerGemmSeconds, w.gemm(tokens, shape.hidden(), shape.intermediate(), dtype,
                o.gemmReps() + 1));
            addTimings(run.headGemmSeconds, w.gemm(tokens, shape.hidden(), shape.vocab(), dtype,
                o.gemmReps() + 1));
            run.record(w.memory());
            log.accept(line.toString());
          } catch (MemoryShortage e) {
            run.skippedRounds++;
            log.accept(where + ": skipped, " + e.getMessage());
          } catch (IOException e) {
            run.note = "failed: " + e.getMessage();
            pool.discard(run);
            log.accept(where + ": " + run.note);
          }
        }
      }
    }
    List<TrainBenchReport.SideResult> sides = new ArrayList<>();
    for (SideRun r : runs) {
      sides.add(new TrainBenchReport.SideResult(r.side, r.engine, r.params, toArrays(r.stepSeconds),
          toArrays(r.cpuSeconds), toArrays(r.pageFaults), phaseMedians(r.phases),
          gflops(tokens, shape.hidden(), shape.intermediate(), r.layerGemmSeconds),
          gflops(tokens, shape.hidden(), shape.vocab(), r.headGemmSeconds), r.peakKb, r.launches,
          r.skippedRounds, r.defaultKernel, r.note));
    }
    return new TrainBenchReport.ConfigResult(c, shape, sides);
  }

  /** Per kernel, the median of each phase over the steps. */
  private static Map<String, double[]> phaseMedians(Map<String, List<double[]>> phases) {
    Map<String, double[]> out = new LinkedHashMap<>();
    phases.forEach((kernel, steps) -> {
      double[] m = new double[steps.get(0).length];
      for (int i = 0; i < m.length; i++) {
        int phase = i;
        m[i] = median(steps.stream().mapToDouble(p -> p[phase]).toArray());
      }
      out.put(kernel, m);
    });
    return out;
  }

  /** The first timing of each GEMM call warms it (threads, caches, kernel selection) and is dropped. */
  private static void addTimings(List<Double> into, double[] seconds) {
    for (int i = 1; i < seconds.length; i++) into.add(seconds[i]);
  }

  /** Starts a side's process and learns what it runs. */
  private static WorkerProcess launch(SideRun run, BenchConfig c, LlamaConfig cfg, TrainBenchOptions o)
      throws IOException {
    List<String> command = run.side.narrow()
        ? narrowCommand(o, c.preset(), c.batch(), c.seq(), run.side.bf16())
        : torchCommand(o, run.side, cfg, c.batch(), c.seq());
    WorkerProcess w = WorkerProcess.start(run.side.label(), command, run.side.allocator(), Map.of());
    var ready = w.ready();
    run.engine = ready.get("engine").asText();
    run.defaultKernel = ready.hasNonNull("default_kernel") ? ready.get("default_kernel").asText() : null;
    run.params = ready.get("params").asLong();
    List<String> offered = new ArrayList<>();
    ready.get("kernels").forEach(k -> offered.add(k.asText()));
    run.kernels = o.kernels().stream().filter(offered::contains).toList();
    run.launches++;
    run.fresh = true;
    return w;
  }

  /** narrow's worker: a child JVM of {@link TrainWorker} (tensors live outside its heap). */
  static List<String> narrowCommand(TrainBenchOptions o, String model, int batch, int seq, boolean bf16) {
    return WorkerProcess.javaCommand(o.workerHeap(), TrainWorker.class, List.of("model=" + model, "batch=" + batch,
        "seq=" + seq, "bf16=" + bf16));
  }

  static List<String> torchCommand(TrainBenchOptions o, Side side, LlamaConfig cfg, int batch, int seq) {
    if (cfg.numKeyValueHeads() != cfg.numAttentionHeads() || cfg.headDim() * cfg.numAttentionHeads() != cfg.hiddenSize()) {
      throw new IllegalArgumentException("the PyTorch reference models multi-head attention only");
    }
    List<String> cmd = new ArrayList<>(List.of(side.python(), o.torchScript().toString(), "--worker",
        "--vocab", "" + cfg.vocabSize(), "--hidden", "" + cfg.hiddenSize(), "--layers", "" + cfg.numHiddenLayers(),
        "--heads", "" + cfg.numAttentionHeads(), "--inter", "" + cfg.intermediateSize(), "--seq", "" + seq,
        "--batch", "" + batch, "--threads", "" + Runtime.getRuntime().availableProcessors()));
    if (side.bf16()) cmd.add("--bf16");
    return cmd;
  }

  /**
   * Native memory (resident memory's growth less the committed Java heap's, after a GC, so the heap
   * growing towards -Xmx does not read as a leak) of the tests' tiny model shape over {@code growthSteps} steps, after
   * {@value #GROWTH_WARMUP_STEPS} untimed ones; both attention kernels alternate every 50 steps,
   * so both code paths would show a leak. Its own process: nothing else's freed memory hides
   * growth in the allocator's free lists.
   */
  static TrainBenchReport.GrowthResult growthRun(Side side, TrainBenchOptions o, Consumer<String> log) {
    if (side.unavailable() != null) {
      return new TrainBenchReport.GrowthResult(side, 0, 0, 0, 0, 0, -1, -1, 0, side.unavailable());
    }
    try (WorkerProcess w = WorkerProcess.start(side.label() + " growth",
        narrowCommand(o, tinyConfig().toString(), 4, 64, side.bf16()), side.allocator(), Map.of())) {
      double seconds = alternateKernels(w, GROWTH_WARMUP_STEPS);
      WorkerProcess.Memory before = w.memory();
      seconds = alternateKernels(w, o.growthSteps());
      WorkerProcess.Memory after = w.memory();
      var result = new TrainBenchReport.GrowthResult(side, o.growthSteps(), before.rssKb(), after.rssKb(),
          before.heapKb(), after.heapKb(), before.mallocKb(), after.mallocKb(), after.hwmKb(), null);
      log.accept(String.format(Locale.ROOT, "growth %s: %d steps (%.1f ms/step), malloc in use %d -> %d KiB, "
          + "resident less heap growth %+d KiB (resident %+d KiB, committed heap %d -> %d KiB)", side.label(),
          o.growthSteps(), 1e3 * seconds / o.growthSteps(), before.mallocKb(), after.mallocKb(),
          result.residentGrowthKb(), after.rssKb() - before.rssKb(), before.heapKb(), after.heapKb()));
      return result;
    } catch (IOException e) {
      return new TrainBenchReport.GrowthResult(side, 0, 0, 0, 0, 0, -1, -1, 0, "failed: " + e.getMessage());
    }
  }

  /** Runs {@code steps} steps, eager and SDPA attention taking turns every 50; returns their seconds. */
  private static double alternateKernels(WorkerProcess w, int steps) throws IOException {
    double total = 0;
    for (int done = 0, block = 0; done < steps; block++) {
      int n = Math.min(50, steps - done);
      for (double s : w.steps(n, block % 2 == 0 ? "eager" : "sdpa").seconds()) total += s;
      done += n;
    }
    return total;
  }

  /**
   * A config.json of the tests' tiny model (vocab 320, hidden 64, intermediate 96, 2 layers, 4 heads):
   * fast enough for a thousand steps. Written to a temporary file, since the bench runs anywhere.
   */
  static Path tinyConfig() throws IOException {
    LlamaConfig tiny = new LlamaConfig(320, 64, 96, 2, 4, 4, 16, 1e-5, 500000.0,
        LlamaConfig.RopeScaling.llama3(32.0, 1.0, 4.0, 8192), 131072, false, 318, List.of(319), null, 0.02,
        "float32", Map.of());
    Path p = Files.createTempFile("narrow-bench-tiny-", ".json");
    p.toFile().deleteOnExit();
    tiny.write(p);
    return p;
  }

  /**
   * The side processes of one config, started on demand and kept between rounds while memory
   * allows. Before a side runs, enough memory must be available for its peak (measured once it
   * has run, estimated before) beyond what it already holds; otherwise other sides are stopped,
   * the most recently used first: with sides run in a fixed cycle, that one is needed last.
   */
  static final class WorkerPool implements AutoCloseable {
    /** A launch that may fail with an IOException. */
    interface Launcher {
      WorkerProcess launch() throws IOException;
    }

    private final LinkedHashMap<SideRun, WorkerProcess> alive = new LinkedHashMap<>();
    private final List<SideRun> runs;
    private final long estimateKb;
    private final Consumer<String> log;

    WorkerPool(List<SideRun> runs, long estimateKb, Consumer<String> log) {
      this.runs = runs;
      this.estimateKb = estimateKb;
      this.log = log;
    }

    /**
     * The side's process, started if need be. When even with every other side stopped the machine
     * lacks the memory (other people's work counts too), waits for it a while and then gives up
     * on this round of the side rather than risk the kernel's OOM killer picking someone's process.
     */
    WorkerProcess acquire(SideRun run, Launcher launcher) throws IOException {
      WorkerProcess w = alive.remove(run);
      long needKb = expectedPeakKb(run) - (w != null ? run.lastRssKb : 0) + MEMORY_MARGIN_KB;
      while (memAvailableKb() < needKb && !alive.isEmpty()) {
        SideRun victim = null;
        for (SideRun r : alive.keySet()) victim = r; // the last one: most recently used
        stop(victim);
        log.accept("  (stopped " + victim.side.label() + " to free memory for " + run.side.label() + ")");
      }
      long deadline = System.nanoTime() + MEMORY_WAIT_NANOS;
      boolean told = false;
      while (memAvailableKb() < needKb) {
        if (System.nanoTime() > deadline) {
          if (w != null) w.close();
          throw new MemoryShortage(String.format(Locale.ROOT, "needs about %.1f GiB free, %.1f GiB available",
              needKb / 1048576.0, memAvailableKb() / 1048576.0));
        }
        if (!told) {
          log.accept(String.format(Locale.ROOT, "  (%s waits for memory: needs about %.1f GiB, %.1f GiB available)",
              run.side.label(), needKb / 1048576.0, memAvailableKb() / 1048576.0));
          told = true;
        }
        sleep(5000);
      }
      if (w == null) w = launcher.launch();
      alive.put(run, w);
      return w;
    }

    private long expectedPeakKb(SideRun run) {
      if (run.peakKb > 0) return run.peakKb;
      long known = 0; // another side's peak: the same model, a better guess than the estimate
      for (SideRun r : runs) known = Math.max(known, r.peakKb);
      return known > 0 ? known : estimateKb;
    }

    /** Stops a side, keeping its peak memory. */
    private void stop(SideRun run) {
      WorkerProcess w = alive.remove(run);
      if (w == null) return;
      try {
        run.record(w.memory());
      } catch (IOException e) {
        // gone already: its last reading stands
      }
      w.close();
    }

    /** Forgets a side whose process failed. */
    void discard(SideRun run) {
      WorkerProcess w = alive.remove(run);
      if (w != null) w.close();
    }

    @Override
    public void close() {
      for (SideRun r : new ArrayList<>(alive.keySet())) stop(r);
    }
  }

  /** A side could not run a round: the machine had not the memory for it. */
  static final class MemoryShortage extends IOException {
    MemoryShortage(String message) {
      super(message);
    }
  }

  private static void sleep(long millis) throws IOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  static long memAvailableKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemAvailable:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    } catch (IOException e) {
      // not Linux: no limit known
    }
    return Long.MAX_VALUE;
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "?";
    }
  }

  /** The machine and the environment every side inherits, in words. */
  static TrainBenchReport.Machine machine(String loadBefore) {
    String cpu = "?";
    String flags = "";
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (cpu.equals("?") && line.startsWith("model name")) cpu = line.split(":", 2)[1].trim();
        if (flags.isEmpty() && line.startsWith("flags")) flags = " " + line.split(":", 2)[1].trim() + " ";
      }
    } catch (IOException e) {
      // not Linux
    }
    List<String> isa = new ArrayList<>();
    for (String f : List.of("avx2", "avx512f", "avx512_bf16", "amx_bf16")) if (flags.contains(" " + f + " ")) isa.add(f);
    Map<String, String> env = System.getenv();
    return new TrainBenchReport.Machine(Runtime.getRuntime().availableProcessors(), cpu, String.join(" ", isa),
        NativeAllocator.describe(env), env.getOrDefault("OMP_WAIT_POLICY", "(unset)"), loadBefore, loadAverage());
  }

  static double median(double[] values) {
    double[] s = values.clone();
    java.util.Arrays.sort(s);
    int n = s.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  static double median(List<Double> values) {
    return median(values.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /**
   * The GEMM rate of the fastest timing: other load on the machine only ever slows a timing
   * down, so the best is the closest to what the library can do.
   */
  private static double gflops(long m, long k, long n, List<Double> seconds) {
    return seconds.isEmpty() ? Double.NaN
        : 2.0 * m * k * n / seconds.stream().mapToDouble(Double::doubleValue).min().orElseThrow() / 1e9;
  }

  private static Map<String, double[]> toArrays(Map<String, List<Double>> m) {
    Map<String, double[]> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, v.stream().mapToDouble(Double::doubleValue).toArray()));
    return out;
  }

}
