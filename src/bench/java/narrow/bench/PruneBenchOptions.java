package narrow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import narrow.model.LlamaConfig;
import narrow.util.UserError;

/**
 * What {@code bench prune} measures. The throughput part ({@code rounds} 0 leaves it out): the
 * model {@code preset} at {@code batch} × {@code seq}, {@code rounds} of {@code steps} timed batches
 * per side after {@code warmup} untimed ones, attention {@code kernel}, worker JVMs with
 * {@code workerHeap}. The mask part ({@code maskRounds} 0 leaves it out): the mask of
 * {@code maskModel} at the given sparsities, written {@code maskRounds} times in a JVM of
 * {@code maskHeap} into a temporary folder under {@code dir}.
 */
public record PruneBenchOptions(String preset, int batch, int seq, int rounds, int steps, int warmup, String kernel,
    String workerHeap, String maskModel, double neuronSparsity, double residualSparsity, int maskRounds,
    String maskHeap, Path dir) {

  /** The study's base model for pruning, whose mask is the 5 GB one the goal is about. */
  public static final String LLAMA_32_1B = "llama-3.2-1b";

  public PruneBenchOptions {
    if (batch < 1 || seq < 2) throw new UserError("--batch must be at least 1 and --seq at least 2");
    if (rounds < 0 || maskRounds < 0) throw new UserError("--rounds and --mask-rounds must not be negative");
    if (steps < 1 || warmup < 0) throw new UserError("--steps must be at least 1 and --warmup not negative");
    if (rounds == 0 && maskRounds == 0) throw new UserError("--rounds 0 and --mask-rounds 0 leave nothing to measure");
    if (!kernel.equals("eager") && !kernel.equals("sdpa")) throw new UserError("--kernel: eager or sdpa, got " + kernel);
    for (double s : List.of(neuronSparsity, residualSparsity)) {
      if (!(s >= 0 && s <= 1)) throw new UserError("sparsities must be in [0, 1], got " + s);
    }
    for (String heap : List.of(workerHeap, maskHeap)) {
      if (!heap.matches("[1-9][0-9]*[kKmMgG]?")) throw new UserError("a heap size is like 256m or 2g, got " + heap);
    }
    try {
      LlamaConfig.preset(preset);
    } catch (IllegalArgumentException e) {
      throw new UserError("--preset: " + e.getMessage());
    }
  }

  public static PruneBenchOptions defaults() {
    return new PruneBenchOptions("d256_l4_h4", 4, 256, 5, 2, 1, "eager", "2g", LLAMA_32_1B, 0.5, 0.5, 5, "256m",
        Path.of(System.getProperty("java.io.tmpdir")));
  }

  /** Llama-3.2-1B's shape (hidden 2048, 16 layers, 32 heads, 8 key/value heads, intermediate 8192, tied). */
  static LlamaConfig llama32OneB() {
    return new LlamaConfig(128256, 2048, 8192, 16, 32, 8, 64, 1e-5, 500000.0,
        LlamaConfig.RopeScaling.llama3(32.0, 1.0, 4.0, 8192), 131072, true, 128000, List.of(128001), null, 0.02,
        "bfloat16", Map.of());
  }

  /** The mask's model: {@value #LLAMA_32_1B}, a preset such as d512_l8_h8, or a config.json (or its folder). */
  static LlamaConfig maskConfig(String spec) {
    if (spec.equalsIgnoreCase(LLAMA_32_1B)) return llama32OneB();
    if (spec.matches("d\\d+_l\\d+_h\\d+")) {
      try {
        return LlamaConfig.preset(spec);
      } catch (IllegalArgumentException e) {
        throw new UserError("--mask-model: " + e.getMessage());
      }
    }
    Path p = Path.of(spec);
    if (Files.isDirectory(p)) p = p.resolve("config.json");
    if (!Files.isRegularFile(p)) {
      throw new UserError("--mask-model '" + spec + "' is not " + LLAMA_32_1B
          + ", a preset d{hidden}_l{layers}_h{heads} or a config.json");
    }
    try {
      return LlamaConfig.read(p);
    } catch (IOException e) {
      throw new UserError("--mask-model: cannot read " + p + ": " + e.getMessage(), e);
    }
  }
}
