package narrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import narrow.bench.PruneBenchReport.MaskResult;
import narrow.bench.PruneBenchReport.SideResult;
import narrow.bench.PruneBenchReport.StepsResult;
import narrow.bench.PruneBenchReport.WriteResult;
import narrow.model.LlamaConfig;
import narrow.model.LlamaForCausalLM;
import narrow.util.LocalFolders;
import narrow.util.UserError;

/**
 * The cost of attribution pruning, against its goals: scoring at the cost of one forward and
 * backward per batch, peak memory within model + one gradient + activations, and the mask
 * written at disk speed with a heap under 256 MB.
 *
 * <p>Throughput and memory: on one model and the same rows, an attribution batch through the real
 * {@link narrow.prune.GradientAttribution}, the same batch's forward and backward alone, and a
 * training step of the real trainer (float32, as attribution), each side in its own JVM
 * ({@link TrainWorker} via {@link WorkerProcess}) beside one that only loads libtorch, the memory
 * baseline. As in {@code bench train}, rounds interleave the sides and the figures are medians.
 * Each side's peak resident memory is its own process's: after the rounds, under the launcher's
 * allocator, and in a short run of its own under glibc's defaults ({@link #LIVE_MEMORY}), the
 * peak of its live memory, which the goal is measured against.
 *
 * <p>Mask writing: a child JVM with a small heap ({@link MaskWriteWorker}) writes
 * {@code pruning_mask.pt} and {@code pruning_mask.safetensors} of a large model through the real
 * {@link narrow.prune.MaskFiles}, and the same number of bytes as a plain sequential write to the
 * same folder, in interleaved rounds, each forced to the disk inside its time.
 *
 * <pre>jobs/narrow bench prune [--preset d256_l4_h4] [--batch 4] [--seq 256] [--mask-model llama-3.2-1b] ...</pre>
 */
public final class PruneBench {
  /** Memory left to the rest of the machine when deciding whether the sides fit. */
  private static final long MEMORY_MARGIN_KB = 1536L * 1024;
  /** Disk left to the rest of the machine beside the largest mask file. */
  private static final long DISK_MARGIN_BYTES = 1L << 30;
  /** The writes of a mask round, in the order of round 1 (later rounds start one further on). */
  static final List<String> WRITES = List.of("pt", "safetensors", "plain");

  /**
   * Batches each side runs in its memory run: its peak comes with the first (the trainer's AdamW
   * moments with its first step); the later ones allocate what the first did.
   */
  static final int MEMORY_BATCHES = 3;

  /**
   * glibc with its defaults: a freed large block goes back to the kernel, so a process's peak
   * resident memory is that of its live tensors. Under the launcher's allocator (freed memory
   * kept for reuse) the peak adds fragmentation: on d256_l4_h4 at 4 x 256 the same side's peak
   * moved by about 1 GiB between runs here (3.9 to 4.9 GiB), under glibc's defaults by 20 MiB.
   */
  static final NativeAllocator LIVE_MEMORY = NativeAllocator.named("system", null);

  private PruneBench() {}

  public static PruneBenchReport run(PruneBenchOptions o, Consumer<String> log) throws IOException {
    long start = System.nanoTime();
    String loadBefore = TrainBench.loadAverage();
    // every check that can refuse the run comes before minutes of measuring
    LlamaConfig maskConfig = o.maskRounds() > 0 ? PruneBenchOptions.maskConfig(o.maskModel()) : null;
    if (maskConfig != null) checkDisk(o.dir(), o.maskModel(), maskBytes(maskConfig));
    if (o.rounds() > 0) checkMemory(o);
    StepsResult steps = o.rounds() > 0 ? steps(o, log) : null;
    MaskResult mask = maskConfig != null ? mask(o, maskConfig, log) : null;
    return new PruneBenchReport(o, TrainBench.machine(loadBefore), steps, mask, (System.nanoTime() - start) / 60e9);
  }

  /** One side's process and what it measured, round after round. */
  private static final class Run {
    final String work;
    final String label;
    final List<Double> seconds = new ArrayList<>();
    final List<Double> cpuSeconds = new ArrayList<>();
    WorkerProcess worker;
    long params;
    WorkerProcess.Memory memory;
    long livePeakKb;

    Run(String work, String label) {
      this.work = work;
      this.label = label;
    }
  }

  private static StepsResult steps(PruneBenchOptions o, Consumer<String> log) throws IOException {
    LlamaConfig cfg = LlamaConfig.preset(o.preset());
    List<Run> runs = List.of(new Run("forward-backward", "forward+backward"), new Run("attribution", "attribution"),
        new Run("train", "training step"));
    Run baseline = new Run("idle", "baseline (libtorch, no model)");
    List<SideResult> sides = new ArrayList<>();
    try {
      for (Run r : concat(baseline, runs)) {
        log.accept("starting " + r.label + " ...");
        r.worker = start(r, o, NativeAllocator.INHERIT);
        r.params = r.worker.ready().get("params").asLong();
      }
      for (int round = 1; round <= o.rounds(); round++) {
        // each round starts one side further on, so no side always runs right after the same other
        for (int i = 0; i < runs.size(); i++) {
          Run r = runs.get((i + round - 1) % runs.size());
          // untimed: the first batches of a process, and the first after another side ran, pay
          // for allocations the steady state reuses
          r.worker.steps(o.warmup() + (round == 1 ? 1 : 0), o.kernel());
          WorkerProcess.Steps s = r.worker.steps(o.steps(), o.kernel());
          for (double x : s.seconds()) r.seconds.add(x);
          for (double x : s.cpuSeconds()) r.cpuSeconds.add(x);
          log.accept(String.format(Locale.ROOT, "round %d/%d %s: %.2f rows/s (%.0f ms a batch, %.2f CPU s, %.0f "
              + "page faults)", round, o.rounds(), r.label, o.batch() / TrainBench.median(s.seconds()),
              1e3 * TrainBench.median(s.seconds()), TrainBench.median(s.cpuSeconds()),
              TrainBench.median(s.pageFaults())));
        }
      }
      for (Run r : concat(baseline, runs)) {
        r.memory = r.worker.memory();
        log.accept(String.format(Locale.ROOT, "%s: peak RSS %,d MiB, now %,d MiB, Java heap committed %,d MiB",
            r.label, r.memory.hwmKb() / 1024, r.memory.rssKb() / 1024, r.memory.heapKb() / 1024));
      }
    } finally {
      for (Run r : concat(baseline, runs)) {
        if (r.worker != null) r.worker.close();
        r.worker = null;
      }
    }
    // one side at a time, each in a fresh process: nothing else's memory in the way
    for (Run r : concat(baseline, runs)) {
      try (WorkerProcess w = start(r, o, LIVE_MEMORY)) {
        if (!r.work.equals("idle")) w.steps(MEMORY_BATCHES, o.kernel());
        r.livePeakKb = w.memory().hwmKb();
      }
      log.accept(String.format(Locale.ROOT, "%s under glibc's defaults: peak RSS %,d MiB", r.label,
          r.livePeakKb / 1024));
    }
    for (Run r : concat(baseline, runs)) {
      sides.add(new SideResult(r.work, r.label, r.params, doubles(r.seconds), doubles(r.cpuSeconds),
          r.memory.hwmKb(), r.livePeakKb, r.memory.heapKb()));
    }
    long modelBytes = 0;
    long gradientBytes = 0;
    for (Map.Entry<String, long[]> e : LlamaForCausalLM.parameterShapes(cfg).entrySet()) {
      long bytes = 4 * numel(e.getValue());
      modelBytes += bytes;
      // attribution leaves the untied head without a gradient (GradientAttribution)
      if (!e.getKey().equals("lm_head.weight")) gradientBytes += bytes;
    }
    return new StepsResult(o.preset(), modelBytes, gradientBytes, sides);
  }

  private static WorkerProcess start(Run r, PruneBenchOptions o, NativeAllocator allocator) throws IOException {
    return WorkerProcess.start(r.label, WorkerProcess.javaCommand(o.workerHeap(), TrainWorker.class,
        List.of("work=" + r.work, "model=" + o.preset(), "batch=" + o.batch(), "seq=" + o.seq(), "bf16=false")),
        allocator, Map.of());
  }

  private static MaskResult mask(PruneBenchOptions o, LlamaConfig config, Consumer<String> log) throws IOException {
    Path dir = Files.createTempDirectory(o.dir(), "narrow-bench-prune-");
    // a mask file is gigabytes: an interrupted run must not leave one behind
    Thread cleanup = new Thread(() -> LocalFolders.deleteRecursively(dir));
    Runtime.getRuntime().addShutdownHook(cleanup);
    List<List<Double>> seconds = new ArrayList<>();
    long[] bytes = new long[WRITES.size()];
    long[] heapPeak = new long[WRITES.size()];
    long[] heapBefore = new long[WRITES.size()];
    long[] gcCount = new long[WRITES.size()];
    for (int k = 0; k < WRITES.size(); k++) seconds.add(new ArrayList<>());
    try (WorkerProcess w = WorkerProcess.start("mask writer", WorkerProcess.javaCommand(o.maskHeap(),
        MaskWriteWorker.class, List.of("model=" + o.maskModel(), "neuron_sparsity=" + o.neuronSparsity(),
            "residual_sparsity=" + o.residualSparsity(), "dir=" + dir)), NativeAllocator.INHERIT, Map.of())) {
      JsonNode ready = w.ready();
      for (int round = 1; round <= o.maskRounds(); round++) {
        for (int i = 0; i < WRITES.size(); i++) {
          int k = (i + round - 1) % WRITES.size();
          JsonNode j = w.call("write " + WRITES.get(k));
          seconds.get(k).add(j.get("seconds").asDouble());
          bytes[k] = j.get("bytes").asLong();
          heapPeak[k] = Math.max(heapPeak[k], j.get("heap_peak_bytes").asLong());
          heapBefore[k] = Math.max(heapBefore[k], j.get("heap_before_bytes").asLong());
          gcCount[k] += j.get("gc_count").asLong();
          log.accept(String.format(Locale.ROOT, "mask round %d/%d %s: %.2f GB/s (%.1f s, fsync %.1f s), heap peak "
              + "%.1f MiB (%.1f MiB before)", round, o.maskRounds(), WRITES.get(k),
              bytes[k] / 1e9 / j.get("seconds").asDouble(), j.get("seconds").asDouble(),
              j.get("fsync_seconds").asDouble(), j.get("heap_peak_bytes").asLong() / 1048576.0,
              j.get("heap_before_bytes").asLong() / 1048576.0));
        }
      }
      long rssKb = w.memory().hwmKb();
      List<WriteResult> writes = new ArrayList<>();
      for (int k = 0; k < WRITES.size(); k++) {
        writes.add(new WriteResult(WRITES.get(k), doubles(seconds.get(k)), bytes[k], heapBefore[k], heapPeak[k],
            gcCount[k]));
      }
      return new MaskResult(o.maskModel(), ready.get("numel").asLong(), ready.get("pruned_neurons").asInt(),
          ready.get("total_neurons").asInt(), ready.get("pruned_residuals").asInt(),
          ready.get("total_residuals").asInt(), ready.get("heap_max_bytes").asLong(), rssKb, writes);
    } finally {
      LocalFolders.deleteRecursively(dir);
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }
  }

  /** Bytes of one float32 mask file's tensors: every parameter of the model. */
  static long maskBytes(LlamaConfig c) {
    return 4 * LlamaForCausalLM.parameterShapes(c).values().stream().mapToLong(PruneBench::numel).sum();
  }

  private static void checkDisk(Path dir, String model, long bytes) {
    if (!Files.isDirectory(dir) || !Files.isWritable(dir)) throw new UserError("--dir " + dir + ": not a writable folder");
    long usable;
    try {
      usable = Files.getFileStore(dir).getUsableSpace();
    } catch (IOException e) {
      throw new UserError("--dir " + dir + ": cannot read its free space: " + e.getMessage(), e);
    }
    if (usable < bytes + DISK_MARGIN_BYTES) {
      throw new UserError(String.format(Locale.ROOT, "--dir %s has %.1f GB free; a mask file of %s is %.1f GB "
          + "(written one at a time; 1 GiB is left over): pick another --dir or a smaller --mask-model", dir,
          usable / 1e9, model, bytes / 1e9));
    }
  }

  /** The three stepping sides stay alive through the rounds: a rough bound of each must fit. */
  private static void checkMemory(PruneBenchOptions o) {
    long eachKb = ModelShape.of(LlamaConfig.preset(o.preset())).estimatedTrainingBytes(o.batch(), o.seq()) / 1024;
    long needKb = 3 * eachKb + MEMORY_MARGIN_KB;
    long availableKb = TrainBench.memAvailableKb();
    if (availableKb < needKb) {
      throw new UserError(String.format(Locale.ROOT, "bench prune keeps 3 workers of %s at batch %d x %d alive, "
          + "about %.1f GiB each at most; %.1f GiB are available: pick a smaller --preset, --batch or --seq",
          o.preset(), o.batch(), o.seq(), eachKb / 1048576.0, availableKb / 1048576.0));
    }
  }

  private static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) n *= d;
    return n;
  }

  private static double[] doubles(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static List<Run> concat(Run first, List<Run> rest) {
    List<Run> all = new ArrayList<>(List.of(first));
    all.addAll(rest);
    return all;
  }
}
