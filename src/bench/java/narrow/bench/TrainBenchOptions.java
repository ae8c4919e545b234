package narrow.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code bench train} measures, from {@code key=value} arguments:
 *
 * <pre>
 * config=d256_l4_h4:4x256[:ROUNDSxSTEPS],...  model sizes at batch x sequence length (default: both below);
 *                                   preset=, batch=, seq= give one config the old way
 * sides=narrow-f32,narrow-bf16,system-torch-f32,torch-f32,torch-bf16   which sides run
 * kernels=eager,sdpa                attention kernels each side runs (torch 1.x: eager only)
 * rounds=N steps=N                  rounds, and timed steps per kernel per round (override every config's)
 * warmup=1                          untimed steps per kernel per round before the timed ones (one
 *                                   more for the first kernel of a process just started)
 * gemm_reps=2                       GEMM timings per shape per round (after an untimed one)
 * growth_steps=1000                 steps of the tiny model's memory-growth run (0: none)
 * allocators=inherit                native allocators to compare (inherit, system, glibc, jemalloc,
 *                                   jemalloc-default): every side runs once per allocator
 * jemalloc_conf=...                 MALLOC_CONF of the jemalloc preset
 * python=PATH                       PyTorch 2.x (default $NARROW_HF_PYTHON, else target/hf-venv/bin/python)
 * python_system=/usr/bin/python3    the system's PyTorch (Debian's 1.13)
 * worker_heap=2g                    -Xmx of narrow's worker JVMs (tensors live outside the heap)
 * </pre>
 */
public record TrainBenchOptions(List<BenchConfig> configs, List<String> sides, List<String> kernels,
    int warmup, int gemmReps, int growthSteps, List<NativeAllocator> allocators, String python,
    String pythonSystem, Path torchScript, String workerHeap) {

  public static final List<String> ALL_SIDES =
      List.of("narrow-f32", "narrow-bf16", "system-torch-f32", "torch-f32", "torch-bf16");

  /**
   * One model size at one batch shape, with its own number of rounds and of timed steps per
   * kernel per round: the large model's steps take seconds, so it runs fewer of them.
   */
  public record BenchConfig(String preset, int batch, int seq, int rounds, int steps) {
    public BenchConfig {
      if (batch < 1 || seq < 2 || rounds < 1 || steps < 1) {
        throw new IllegalArgumentException("config " + preset + ": batch, rounds, steps >= 1 and seq >= 2 needed");
      }
    }

    /** {@code PRESET:BxT[:ROUNDSxSTEPS]}. */
    static BenchConfig parse(String spec) {
      String[] p = spec.split(":");
      if (p.length < 2 || p.length > 3) {
        throw new IllegalArgumentException("config '" + spec + "' is not PRESET:BATCHxSEQ[:ROUNDSxSTEPS]");
      }
      int[] shape = pair(p[1], spec);
      int[] rs = p.length == 3 ? pair(p[2], spec) : new int[] {3, 2};
      return new BenchConfig(p[0], shape[0], shape[1], rs[0], rs[1]);
    }

    private static int[] pair(String s, String spec) {
      String[] xy = s.split("x");
      if (xy.length != 2) throw new IllegalArgumentException("config '" + spec + "': '" + s + "' is not AxB");
      return new int[] {Integer.parseInt(xy[0]), Integer.parseInt(xy[1])};
    }

    @Override
    public String toString() {
      return preset + " batch " + batch + " x " + seq;
    }
  }

  /**
   * The two sizes: the smallest of the study at 4 x 256, 3 rounds of 2 steps per kernel;
   * d768_l12_h12 (the distillation student) at its real length 1024, batch 1, whose steps take
   * 5 to 20 s here: 2 rounds of 1 step.
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

  /** Defaults overridden by {@code key=value} arguments; unknown keys are an error. */
  public static TrainBenchOptions parse(String[] argv) {
    Map<String, String> a = keyValues(argv);
    TrainBenchOptions d = defaults();
    List<BenchConfig> configs = d.configs();
    if (a.containsKey("config")) configs = Arrays.stream(a.get("config").split(",")).map(BenchConfig::parse).toList();
    if (a.containsKey("preset") || a.containsKey("batch") || a.containsKey("seq")) {
      configs = List.of(new BenchConfig(a.getOrDefault("preset", "d256_l4_h4"),
          Integer.parseInt(a.getOrDefault("batch", "4")), Integer.parseInt(a.getOrDefault("seq", "256")), 3, 2));
    }
    if (a.containsKey("rounds") || a.containsKey("steps")) {
      configs = configs.stream().map(c -> new BenchConfig(c.preset(), c.batch(), c.seq(),
          Integer.parseInt(a.getOrDefault("rounds", "" + c.rounds())),
          Integer.parseInt(a.getOrDefault("steps", "" + c.steps())))).toList();
    }
    List<String> sides = a.containsKey("sides") ? List.of(a.get("sides").split(",")) : d.sides();
    for (String s : sides) {
      if (!ALL_SIDES.contains(s)) throw new IllegalArgumentException("unknown side '" + s + "' (" + ALL_SIDES + ")");
    }
    List<String> kernels = a.containsKey("kernels") ? List.of(a.get("kernels").split(",")) : d.kernels();
    for (String k : kernels) {
      if (!k.equals("eager") && !k.equals("sdpa")) throw new IllegalArgumentException("kernels: eager or sdpa, got " + k);
    }
    List<NativeAllocator> allocators = d.allocators();
    if (a.containsKey("allocators")) {
      allocators = new ArrayList<>();
      for (String name : a.get("allocators").split(",")) {
        allocators.add(NativeAllocator.named(name, a.get("jemalloc_conf")));
      }
    }
    for (String k : a.keySet()) {
      if (!KEYS.contains(k)) throw new IllegalArgumentException("unknown option '" + k + "' (" + KEYS + ")");
    }
    return new TrainBenchOptions(configs, sides, kernels, intOr(a, "warmup", d.warmup()),
        intOr(a, "gemm_reps", d.gemmReps()), intOr(a, "growth_steps", d.growthSteps()), List.copyOf(allocators),
        a.getOrDefault("python", d.python()), a.getOrDefault("python_system", d.pythonSystem()),
        d.torchScript(), a.getOrDefault("worker_heap", d.workerHeap()));
  }

  private static final List<String> KEYS = List.of("config", "preset", "batch", "seq", "rounds", "steps",
      "sides", "kernels", "warmup", "gemm_reps", "growth_steps", "allocators", "jemalloc_conf", "python",
      "python_system", "worker_heap");

  private static int intOr(Map<String, String> a, String key, int fallback) {
    return a.containsKey(key) ? Integer.parseInt(a.get(key)) : fallback;
  }

  /** {@code key=value} arguments in order; anything else is an error. */
  static Map<String, String> keyValues(String[] argv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String arg : argv) {
      int eq = arg.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("argument '" + arg + "' is not key=value");
      m.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    return m;
  }
}
