package narrow.bench;

import java.util.List;
import java.util.Locale;

/**
 * What {@link PruneBench} measured, and the table it prints: each part's figures, then the
 * pruning's three goals with the measured ratio against each. Memory is in MiB (the heap's own unit);
 * disk rates and file sizes are in decimal GB, as disks are rated.
 *
 * @param steps the throughput and memory part, or null when it did not run
 * @param mask the mask-writing part, or null when it did not run
 */
public record PruneBenchReport(PruneBenchOptions options, TrainBenchReport.Machine machine, StepsResult steps,
    MaskResult mask, double minutes) {

  /**
   * One side of the throughput part.
   *
   * @param work the worker's {@code work=} (idle for the baseline, which runs no batches)
   * @param seconds every timed batch's wall seconds, all rounds
   * @param cpuSeconds the same batches' process CPU seconds
   * @param peakKb the process's peak resident memory (VmHWM) under the launcher's allocator, after the rounds
   * @param livePeakKb the peak of the side's own run under glibc's defaults ({@link PruneBench#LIVE_MEMORY}):
   *     that of its live memory
   * @param heapKb its committed Java heap after a GC at the end of the rounds
   */
  public record SideResult(String work, String label, long params, double[] seconds, double[] cpuSeconds, long peakKb,
      long livePeakKb, long heapKb) {
    double medianSeconds() {
      return TrainBench.median(seconds);
    }
  }

  /**
   * @param modelBytes every parameter in float32
   * @param gradientBytes the parameters attribution takes gradients of (all but an untied lm_head)
   */
  public record StepsResult(String preset, long modelBytes, long gradientBytes, List<SideResult> sides) {
    SideResult side(String work) {
      for (SideResult s : sides) if (s.work().equals(work)) return s;
      throw new IllegalArgumentException("no side " + work);
    }

    /** Median wall time of side {@code a} over side {@code b}'s. */
    double timeRatio(String a, String b) {
      return side(a).medianSeconds() / side(b).medianSeconds();
    }

    /** Median CPU time of side {@code a} over side {@code b}'s. */
    double cpuRatio(String a, String b) {
      return TrainBench.median(side(a).cpuSeconds()) / TrainBench.median(side(b).cpuSeconds());
    }

    /** Live peak memory of a side above the baseline's, in bytes. */
    long aboveBaseline(String work) {
      return 1024 * (side(work).livePeakKb() - side("idle").livePeakKb());
    }

    /**
     * The activations (and whatever else a forward and backward holds) as measured: the forward
     * and backward side's peak above the baseline, less the model and one gradient.
     */
    long activationBytes() {
      return aboveBaseline("forward-backward") - modelBytes - gradientBytes;
    }
  }

  /**
   * One kind of write.
   *
   * @param kind pt, safetensors or plain
   * @param seconds every round's seconds, the fsync included
   * @param heapBeforeBytes the heap in use when its writes started, after a GC (the largest of its rounds)
   * @param heapPeakBytes the largest heap peak of its rounds (each pool's peak summed: an upper bound)
   * @param gcCount collections during its writes, all rounds
   */
  public record WriteResult(String kind, double[] seconds, long bytes, long heapBeforeBytes, long heapPeakBytes,
      long gcCount) {
    double gbPerSecond() {
      return bytes / 1e9 / TrainBench.median(seconds);
    }

    String label() {
      return switch (kind) {
        case "pt" -> "pruning_mask.pt";
        case "safetensors" -> "pruning_mask.safetensors";
        default -> "plain write (zeros, same stream)";
      };
    }
  }

  /** @param peakRssKb the writer JVM's peak resident memory */
  public record MaskResult(String model, long numel, int prunedNeurons, int totalNeurons, int prunedResiduals,
      int totalResiduals, long heapMaxBytes, long peakRssKb, List<WriteResult> writes) {
    WriteResult write(String kind) {
      for (WriteResult w : writes) if (w.kind().equals(kind)) return w;
      throw new IllegalArgumentException("no write " + kind);
    }

    long heapPeakBytes() {
      return writes.stream().filter(w -> !w.kind().equals("plain")).mapToLong(WriteResult::heapPeakBytes).max()
          .orElse(0);
    }
  }

  public String table() {
    StringBuilder out = new StringBuilder();
    line(out, "bench prune: attribution scoring against a training step, and the writing of the mask files");
    line(out, "machine: %d cores, %s (%s); load average %s at the start, %s at the end (%.1f minutes)",
        machine.cores(), machine.cpu(), machine.isa(), machine.loadBefore(), machine.loadAfter(), minutes);
    line(out, "every worker's environment: %s; OMP_WAIT_POLICY=%s", machine.allocator(), machine.ompWaitPolicy());
    if (steps != null) stepsTable(out);
    if (mask != null) maskTable(out);
    return out.toString();
  }

  private void stepsTable(StringBuilder out) {
    PruneBenchOptions o = options;
    SideResult attribution = steps.side("attribution");
    line(out, "");
    line(out, "Scoring %s (%.1fM parameters, float32, %s attention), batch %d x %d, the same %d rows for every side;",
        o.preset(), attribution.params() / 1e6, o.kernel(), o.batch(), o.seq(), 8 * o.batch());
    line(out, "each side its own JVM, %d rounds of %d batches interleaved (after %d untimed), medians:", o.rounds(),
        o.steps(), o.warmup());
    line(out, "  %-18s %8s %8s %17s %12s", "side", "rows/s", "s/batch", "[min - max]", "CPU s/batch");
    for (SideResult s : steps.sides()) {
      if (s.work().equals("idle")) continue;
      line(out, "  %-18s %8.2f %8.3f [%6.3f - %6.3f] %12.2f", s.label(), o.batch() / s.medianSeconds(),
          s.medianSeconds(), min(s.seconds()), max(s.seconds()), TrainBench.median(s.cpuSeconds()));
    }
    line(out, "  attribution / forward+backward: %.2f by wall time, %.2f by CPU time  (goal: about 1, scoring at "
        + "the cost of one forward and backward)", steps.timeRatio("attribution", "forward-backward"),
        steps.cpuRatio("attribution", "forward-backward"));
    line(out, "  attribution / training step:    %.2f by wall time, %.2f by CPU time  (goal: at most 1)",
        steps.timeRatio("attribution", "train"), steps.cpuRatio("attribution", "train"));
    line(out, "  (CPU time: the process's, all threads; other work on the cores disturbs it less than wall time. "
        + "Attribution and");
    line(out, "  forward+backward take no gradient of an untied lm_head; the training step does, then clips and runs "
        + "AdamW)");

    long modelAndGradient = steps.modelBytes() + steps.gradientBytes();
    long activations = steps.activationBytes();
    long above = steps.aboveBaseline("attribution");
    line(out, "");
    line(out, "Peak resident memory (MiB), each side its own JVM: after the rounds above, under the launcher's "
        + "allocator;");
    line(out, "and in a run of %d batches of its own under glibc's defaults, which hand freed blocks back, so that "
        + "the peak", PruneBench.MEMORY_BATCHES);
    line(out, "is the live memory's (the launcher's keeps them for reuse, faster; its peak adds fragmentation: "
        + "d256_l4_h4's");
    line(out, "moved by about 1 GiB between runs here, under glibc's defaults by 20 MiB):");
    line(out, "  %-32s %18s %16s", "side", "launcher's alloc.", "glibc defaults");
    for (SideResult s : steps.sides()) {
      line(out, "  %-32s %,18d %,16d", s.label(), s.peakKb() / 1024, s.livePeakKb() / 1024);
    }
    line(out, "");
    line(out, "The attribution side's live peak above the baseline (MiB):");
    line(out, "  %-58s %,8d", "model, float32", mib(steps.modelBytes()));
    line(out, "  %-58s %,8d", "one gradient (every parameter but an untied lm_head)", mib(steps.gradientBytes()));
    line(out, "  %-58s %,8d", "activations, measured (*)", mib(activations));
    line(out, "  %-58s %,8d", "attribution's peak above the baseline", mib(above));
    line(out, "  = %.2f x (model + one gradient), %.2f x (model + one gradient + activations) (goal: within the "
        + "latter)", above / (double) modelAndGradient, above / (double) (modelAndGradient + activations));
    line(out, "  (*) forward+backward's live peak above the baseline less model and gradient: the same graph "
        + "without the");
    line(out, "      reduction, so the second ratio is attribution's peak over forward+backward's, both above the "
        + "baseline");
    line(out, "  the training step's live peak above the baseline: %,d MiB (its gradient covers lm_head too; AdamW's "
        + "two moments)", mib(steps.aboveBaseline("train")));
  }

  private void maskTable(StringBuilder out) {
    PruneBenchOptions o = options;
    line(out, "");
    line(out, "Mask writing: %s (%,d elements: %.2f GB a file), random selection of %,d of %,d neurons and %,d of "
        + "%,d dimensions;", mask.model(), mask.numel(), 4 * mask.numel() / 1e9, mask.prunedNeurons(),
        mask.totalNeurons(), mask.prunedResiduals(), mask.totalResiduals());
    line(out, "one JVM with -Xmx%s (%d MiB), into %s, fsync inside each time, %d rounds interleaved, medians:",
        o.maskHeap(), mask.heapMaxBytes() >> 20, o.dir(), o.maskRounds());
    line(out, "  %-34s %6s %15s %8s %16s %14s %4s", "write", "GB/s", "[min - max]", "seconds", "heap before MiB",
        "heap peak MiB", "GCs");
    for (WriteResult w : mask.writes()) {
      line(out, "  %-34s %6.2f [%5.2f - %5.2f] %8.1f %16.1f %14.1f %4d", w.label(), w.gbPerSecond(),
          w.bytes() / 1e9 / max(w.seconds()), w.bytes() / 1e9 / min(w.seconds()), TrainBench.median(w.seconds()),
          w.heapBeforeBytes() / 1048576.0, w.heapPeakBytes() / 1048576.0, w.gcCount());
    }
    double plain = mask.write("plain").gbPerSecond();
    line(out, "  .pt / plain: %.2f, .safetensors / plain: %.2f  (goal: disk speed, 1)",
        mask.write("pt").gbPerSecond() / plain, mask.write("safetensors").gbPerSecond() / plain);
    line(out, "  heap peak while writing a mask file: %.1f MiB of -Xmx%s  (goal: under 256 MB); the writer's peak "
        + "RSS %,d MiB", mask.heapPeakBytes() / 1048576.0, o.maskHeap(), mask.peakRssKb() / 1024);
    line(out, "  (heap before: in use after a GC as the write starts: the JVM's own and the mask's index lists; "
        + "heap peak: each");
    line(out, "  heap pool's peak during the write, summed: an upper bound of the heap in use)");
  }

  private static double min(double[] xs) {
    return java.util.Arrays.stream(xs).min().orElse(Double.NaN);
  }

  private static double max(double[] xs) {
    return java.util.Arrays.stream(xs).max().orElse(Double.NaN);
  }

  private static long mib(long bytes) {
    return Math.round(bytes / 1048576.0);
  }

  private static void line(StringBuilder out, String format, Object... args) {
    out.append(String.format(Locale.ROOT, format, args)).append('\n');
  }
}
