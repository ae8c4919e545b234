package narrow.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import narrow.bench.TrainBench.Side;
import narrow.bench.TrainBenchOptions.BenchConfig;

/**
 * What {@link TrainBench} measured, and the table it prints: one row per side and attention
 * kernel, then the speed and memory goals with the measured ratio against each.
 */
public record TrainBenchReport(TrainBenchOptions options, Machine machine, List<ConfigResult> configs,
    List<GrowthResult> growth, double minutes) {

  /** Native memory may move this much over the growth run without counting as growth (allocator noise). */
  static final long GROWTH_TOLERANCE_KB = 16 * 1024;

  public record Machine(int cores, String cpu, String isa, String allocator, String ompWaitPolicy,
      String loadBefore, String loadAfter) {}

  /**
   * One side on one config.
   *
   * @param stepSeconds per attention kernel, every timed step of every round
   * @param cpuSeconds the same steps' process CPU time (all threads, user + system): less
   *     disturbed by other load than wall time, and it shows allocator costs
   * @param pageFaults the same steps' minor page faults: memory the kernel had to map in afresh
   * @param phaseSeconds per attention kernel, the median seconds of a step in forward (with the
   *     loss), backward and optimizer (clipping, AdamW, dropping gradients)
   * @param layerGemmGflops / {@code headGemmGflops}: the side's library on the MLP's and the head's
   *     matmul shape (in bf16 for bf16 sides), the fastest timing over the rounds
   * @param defaultKernel the attention kernel the side trains with unless told (narrow's choice), or null
   * @param note why it has no figures (absent, failed), or null
   */
  public record SideResult(Side side, String engine, long params, Map<String, double[]> stepSeconds,
      Map<String, double[]> cpuSeconds, Map<String, double[]> pageFaults, Map<String, double[]> phaseSeconds,
      double layerGemmGflops,
      double headGemmGflops, long peakKb, int launches, int skippedRounds, String defaultKernel, String note) {

    double tokensPerSecond(String kernel, long tokensPerStep) {
      double[] s = stepSeconds.get(kernel);
      return s == null || s.length == 0 ? Double.NaN : tokensPerStep / TrainBench.median(s);
    }

    /** The faster kernel's rate. */
    double bestTokensPerSecond(long tokensPerStep) {
      double best = Double.NaN;
      for (String k : stepSeconds.keySet()) {
        double t = tokensPerSecond(k, tokensPerStep);
        if (!(t <= best)) best = t;
      }
      return best;
    }
  }

  public record ConfigResult(BenchConfig config, ModelShape shape, List<SideResult> sides) {
    long tokensPerStep() {
      return (long) config.batch() * config.seq();
    }

    SideResult side(String id, NativeAllocator allocator) {
      for (SideResult s : sides) if (s.side().id().equals(id) && s.side().allocator() == allocator) return s;
      return null;
    }
  }

  /**
   * A tiny model's process before and after {@code steps} steps: resident memory, the committed
   * Java heap (after a GC) and what glibc's malloc had handed out (-1: unknown, e.g. jemalloc).
   */
  public record GrowthResult(Side side, long steps, long rssBeforeKb, long rssAfterKb, long heapBeforeKb,
      long heapAfterKb, long mallocBeforeKb, long mallocAfterKb, long peakKb, String note) {
    long nativeBeforeKb() {
      return rssBeforeKb - heapBeforeKb;
    }

    long nativeAfterKb() {
      return rssAfterKb - heapAfterKb;
    }

    /**
     * Growth outside the Java heap: resident growth less what the heap grew by. A heap that shrank
     * is not credited: G1 may uncommit pages that were never resident, and RSS minus committed heap
     * then rose by their size with nothing allocated (a 3 MiB case was seen).
     */
    long residentGrowthKb() {
      return rssAfterKb - rssBeforeKb - Math.max(0, heapAfterKb - heapBeforeKb);
    }

    boolean mallocKnown() {
      return mallocBeforeKb >= 0 && mallocAfterKb >= 0;
    }

    /**
     * The growth judged: what malloc has handed out, where known (every tensor, JavaCPP object and
     * JVM structure is there, but not memory freed and kept resident: the resident measure jumped
     * by about 30 MiB once in some runs and not in others, three times longer runs growing less),
     * else resident growth.
     */
    long growthKb() {
      return mallocKnown() ? mallocAfterKb - mallocBeforeKb : residentGrowthKb();
    }
  }

  public String table() {
    StringBuilder out = new StringBuilder();
    line(out, "bench train: narrow's Trainer step vs eager PyTorch, sides interleaved in rounds, medians");
    line(out, "machine: %d cores, %s (%s); load average %s at the start, %s at the end", machine.cores(),
        machine.cpu(), machine.isa(), machine.loadBefore(), machine.loadAfter());
    line(out, "every side's environment: %s; OMP_WAIT_POLICY=%s%s", machine.allocator(), machine.ompWaitPolicy(),
        options.allocators().size() > 1 || options.allocators().get(0) != NativeAllocator.INHERIT
            ? " (sides tagged [allocator] replace the allocator settings)" : "");
    line(out, "took %.1f minutes", minutes);
    for (ConfigResult c : configs) configTable(out, c);
    growthTable(out);
    goals(out);
    return out.toString();
  }

  private void configTable(StringBuilder out, ConfigResult c) {
    long tokens = c.tokensPerStep();
    int seq = c.config().seq();
    double stepGflop = c.shape().flopsPerToken(seq) * tokens / 1e9;
    line(out, "");
    line(out, "%s: %s parameters, %.0f GFLOP of model FLOPs a step (%d rounds x %d timed steps per kernel)",
        c.config(), millions(firstParams(c)), stepGflop, c.config().rounds(), c.config().steps());
    String header = String.format(Locale.ROOT, "  %-30s %-6s %9s %7s %-15s %6s %7s %-17s %6s %8s",
        "side", "attn", "tokens/s", "s/step", " [min - max]", "CPU s", "faults", "GEMM mlp/head", "MFU",
        "peak RSS");
    line(out, header);
    for (SideResult s : c.sides()) {
      if (s.note() != null && s.stepSeconds().isEmpty()) {
        line(out, "  %-30s %s", s.side().label(), s.note());
        continue;
      }
      double attainable = c.shape().attainableFlops(seq, s.layerGemmGflops() * 1e9, s.headGemmGflops() * 1e9);
      for (Map.Entry<String, double[]> k : s.stepSeconds().entrySet()) {
        double[] sec = k.getValue();
        double median = TrainBench.median(sec);
        double mfu = c.shape().flopsPerToken(seq) * tokens / median / attainable;
        line(out, "  %-30s %-6s %9.0f %7.3f [%5.2f - %5.2f] %6.2f %7s %6.0f / %-6.0f %5.1f%% %4.1f GiB",
            s.side().label() + " " + shortEngine(s.engine()), k.getKey(), tokens / median, median,
            Arrays.stream(sec).min().orElse(Double.NaN), Arrays.stream(sec).max().orElse(Double.NaN),
            TrainBench.median(s.cpuSeconds().get(k.getKey())), count(TrainBench.median(s.pageFaults().get(k.getKey()))),
            s.layerGemmGflops(), s.headGemmGflops(), 100 * mfu, s.peakKb() / 1048576.0);
      }
      if (s.note() != null) line(out, "  %-30s %s", "", s.note());
      if (s.launches() > 1) {
        line(out, "  %-30s (started %d times: memory allowed no more sides alive at once)", "", s.launches());
      }
      if (s.skippedRounds() > 0) {
        line(out, "  %-30s (left out of %d rounds: the machine had not the memory)", "", s.skippedRounds());
      }
    }
    line(out, "  s/step: median wall seconds of a step over all rounds [fastest - slowest]; CPU s: its process CPU");
    line(out, "  time (all threads; at most cores x s/step); faults: minor page faults a step (memory the kernel");
    line(out, "  mapped in afresh: an allocator that keeps freed memory has next to none). GEMM: best GFLOP/s of the");
    line(out, "  side's own library on the model's matmul shapes, MLP [%d x %d x %d] and head [%d x %d x %d] (bf16",
        tokens, c.shape().hidden(), c.shape().intermediate(), tokens, c.shape().hidden(), c.shape().vocab());
    line(out, "  sides in bf16); MFU: model FLOPs per second over those GEMM rates weighted by their share of the work.");
    phaseTable(out, c);
  }

  /** Where a step's time went, side by side: the medians of each phase. */
  private static void phaseTable(StringBuilder out, ConfigResult c) {
    if (c.sides().stream().allMatch(s -> s.phaseSeconds().isEmpty())) return;
    line(out, "  %-30s %-6s %9s %9s %9s", "seconds a step in", "attn", "forward", "backward", "optimizer");
    for (SideResult s : c.sides()) {
      for (Map.Entry<String, double[]> k : s.phaseSeconds().entrySet()) {
        double[] p = k.getValue();
        line(out, "  %-30s %-6s %9.3f %9.3f %9.3f", s.side().label() + " " + shortEngine(s.engine()), k.getKey(),
            p[0], p[1], p[2]);
      }
    }
    line(out, "  forward includes the loss; optimizer: gradient clipping, AdamW, dropping the gradients.");
  }

  /** "narrow, libtorch 2.13.0 (JavaCPP)" and "torch 2.13.0+cpu" without what the side's name says. */
  private static String shortEngine(String engine) {
    if (engine.startsWith("torch ")) return "(" + engine.substring(6) + ")";
    return "";
  }

  private static long firstParams(ConfigResult c) {
    for (SideResult s : c.sides()) if (s.params() > 0) return s.params();
    return 0;
  }

  private void growthTable(StringBuilder out) {
    if (growth.isEmpty()) return;
    line(out, "");
    line(out, "native memory, tiny model (the tests' llama-tiny shape) 4 x 64, both attention kernels alternating,");
    line(out, "measured after %d warm-up steps and again after N more: what malloc has handed out (glibc's",
        TrainBench.GROWTH_WARMUP_STEPS);
    line(out, "mallinfo2; judged), and RSS less the committed Java heap after a GC (growth: RSS growth less heap growth;");
    line(out, "it also counts memory freed and kept by the allocator):");
    for (GrowthResult g : growth) {
      if (g.note() != null) {
        line(out, "  %-28s %s", g.side().label(), g.note());
        continue;
      }
      String malloc = g.mallocKnown()
          ? String.format(Locale.ROOT, "malloc %6.1f -> %6.1f MiB (%+.1f)", g.mallocBeforeKb() / 1024.0,
              g.mallocAfterKb() / 1024.0, (g.mallocAfterKb() - g.mallocBeforeKb()) / 1024.0)
          : "malloc unknown";
      line(out, "  %-28s %5d steps: %s; resident %6.1f -> %6.1f MiB (%+.1f; heap %.0f -> %.0f MiB), peak RSS %.2f GiB",
          g.side().label(), g.steps(), malloc, g.nativeBeforeKb() / 1024.0, g.nativeAfterKb() / 1024.0,
          g.residentGrowthKb() / 1024.0, g.heapBeforeKb() / 1024.0, g.heapAfterKb() / 1024.0, g.peakKb() / 1048576.0);
    }
  }

  private void goals(StringBuilder out) {
    line(out, "");
    line(out, "goals:");
    for (ConfigResult c : configs) {
      for (NativeAllocator a : options.allocators()) {
        String tag = c.config().preset() + (a == NativeAllocator.INHERIT ? "" : " [" + a.name() + "]");
        SideResult f32 = c.side("narrow-f32", a);
        SideResult bf16 = c.side("narrow-bf16", a);
        SideResult torch = c.side("torch-f32", a);
        long tokens = c.tokensPerStep();
        if (f32 != null && torch != null) {
          // narrow as it trains by default against PyTorch's faster kernel
          String kernel = f32.defaultKernel() != null ? f32.defaultKernel() : "eager";
          double r = f32.tokensPerSecond(kernel, tokens) / torch.bestTokensPerSecond(tokens);
          List<String> parts = new ArrayList<>();
          for (String k : f32.stepSeconds().keySet()) {
            double same = f32.tokensPerSecond(k, tokens) / torch.tokensPerSecond(k, tokens);
            if (!Double.isNaN(same)) parts.add(String.format(Locale.ROOT, "%s %.2fx", k, same));
          }
          line(out, "  %-26s narrow f32 (%s, its default here) >= 1.0x PyTorch f32 of the same release (%s, faster "
              + "kernel): %.2fx  %s", tag, kernel, torch.engine().isEmpty() ? "absent" : torch.engine(), r,
              Double.isNaN(r) ? "" : verdict(r >= 1.0));
          if (!parts.isEmpty()) line(out, "  %-26s   kernel for kernel: %s", "", String.join(", ", parts));
        }
        if (f32 != null && bf16 != null) {
          double r = bf16.bestTokensPerSecond(tokens) / f32.bestTokensPerSecond(tokens);
          line(out, "  %-26s narrow bf16 >= 2x narrow f32 (faster kernel of each): %.2fx  %s", tag, r,
              Double.isNaN(r) ? "" : verdict(r >= 2.0));
        }
        for (SideResult s : new SideResult[] {f32, bf16}) {
          if (s == null) continue;
          double eager = s.tokensPerSecond("eager", tokens);
          double sdpa = s.tokensPerSecond("sdpa", tokens);
          if (Double.isNaN(eager) || Double.isNaN(sdpa)) continue;
          line(out, "  %-26s %s attention: %s is faster (sdpa/eager %.2fx)", tag, s.side().id(),
              sdpa > eager ? "SDPA" : "eager", sdpa / eager);
        }
      }
    }
    for (GrowthResult g : growth) {
      if (g.note() != null) continue;
      line(out, "  %-26s no native memory growth over %d steps (%s): %+.1f MiB  %s", g.side().label(), g.steps(),
          g.mallocKnown() ? "malloc in use" : "resident", g.growthKb() / 1024.0,
          verdict(g.growthKb() <= GROWTH_TOLERANCE_KB));
    }
  }

  /** 1234 as "1234", 123456 as "123k". */
  private static String count(double n) {
    return n < 10_000 ? String.format(Locale.ROOT, "%.0f", n) : String.format(Locale.ROOT, "%.0fk", n / 1000);
  }

  private static String verdict(boolean met) {
    return met ? "MET" : "NOT MET";
  }

  private static String millions(long n) {
    return String.format(Locale.ROOT, "%.1fM", n / 1e6);
  }

  private static void line(StringBuilder out, String format, Object... args) {
    out.append(String.format(Locale.ROOT, format, args)).append('\n');
  }
}
