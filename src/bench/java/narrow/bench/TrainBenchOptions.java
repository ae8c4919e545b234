package narrow.bench;

import java.nio.file.Path;
import java.util.List;
import narrow.util.UserError;

/**
 * What {@code bench train} measures: the model sizes at their batch shapes, the sides and attention
 * kernels that run, untimed warm-up steps and GEMM timings per round, the steps of the memory-growth
 * run (0: none), the native allocators each side runs under, the Pythons of the PyTorch sides and
 * the heap of narrow's worker JVMs. {@code BenchCommand.Train} reads them from the command line
 * ({@code jobs/narrow bench train --help}).
 */
public record TrainBenchOptions(List<BenchConfig> configs, List<String> sides, List<String> kernels,
    int warmup, int gemmReps, int growthSteps, List<NativeAllocator> allocators, String python,
    String pythonSystem, Path torchScript, String workerHeap) {

  public TrainBenchOptions {
    for (String s : sides) {
      if (!ALL_SIDES.contains(s)) throw new UserError("--sides: unknown side '" + s + "' (" + ALL_SIDES + ")");
    }
    for (String k : kernels) {
      if (!k.equals("eager") && !k.equals("sdpa")) throw new UserError("--kernels: eager or sdpa, got " + k);
    }
    configs = List.copyOf(configs);
    sides = List.copyOf(sides);
    kernels = List.copyOf(kernels);
    allocators = List.copyOf(allocators);
  }

  public static final List<String> ALL_SIDES =
      List.of("narrow-f32", "narrow-bf16", "system-torch-f32", "torch-f32", "torch-bf16");

  /**
   * One model size at one batch shape, with its own number of rounds and of timed steps per
   * kernel per round: the large model's steps take seconds, so it runs fewer of them.
   */
  public record BenchConfig(String preset, int batch, int seq, int rounds, int steps) {
    public BenchConfig {
      if (batch < 1 || seq < 2 || rounds < 1 || steps < 1) {
        throw new UserError("config " + preset + ": batch, rounds, steps >= 1 and seq >= 2 needed");
      }
    }

    /** {@code PRESET:BxT[:ROUNDSxSTEPS]}. */
    static BenchConfig parse(String spec) {
      String[] p = spec.split(":");
      if (p.length < 2 || p.length > 3) {
        throw new UserError("--config '" + spec + "' is not PRESET:BATCHxSEQ[:ROUNDSxSTEPS]");
      }
      int[] shape = pair(p[1], spec);
      int[] rs = p.length == 3 ? pair(p[2], spec) : new int[] {3, 2};
      return new BenchConfig(p[0], shape[0], shape[1], rs[0], rs[1]);
    }

    private static int[] pair(String s, String spec) {
      String[] xy = s.split("x");
      if (xy.length != 2 || !xy[0].matches("\\d+") || !xy[1].matches("\\d+")) {
        throw new UserError("--config '" + spec + "': '" + s + "' is not AxB (two whole numbers)");
      }
      return new int[] {Integer.parseInt(xy[0]), Integer.parseInt(xy[1])};
    }

    @Override
    public String toString() {
      return preset + " batch " + batch + " x " + seq;
    }
  }

  /**
   * The study's smallest size at 4 x 256, 3 rounds of 2 steps per kernel, and d768_l12_h12 (the
   * distillation student) at its real length 1024, batch 1, whose steps take 5 to 20 s here: 2
   * rounds of 1 step.
   */
  public static final List<BenchConfig> DEFAULT_CONFIGS = List.of(
      new BenchConfig("d256_l4_h4", 4, 256, 3, 2), new BenchConfig("d768_l12_h12", 1, 1024, 2, 1));

  public static TrainBenchOptions defaults() {
    String hf = System.getenv("NARROW_HF_PYTHON");
    String python = hf != null && !hf.isBlank() ? hf : home().resolve("target/hf-venv/bin/python").toString();
    return new TrainBenchOptions(DEFAULT_CONFIGS, ALL_SIDES, List.of("eager", "sdpa"), 1, 2, 1000,
        List.of(NativeAllocator.INHERIT), python, "/usr/bin/python3",
        home().resolve("src/bench/python/torch_train_reference.py"), "2g");
  }

  static Path home() {
    return Path.of(System.getProperty("narrow.home", "")).toAbsolutePath();
  }
}
