package narrow.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import narrow.bench.TrainBenchOptions.BenchConfig;
import narrow.data.tokenizer.TokenizerFiles;
import narrow.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code narrow bench}: benchmarks, not tests. They live outside the product (src/bench, a jar of
 * their own that jobs/narrow puts beside the cluster jar); {@code narrow.cli.Main} offers this
 * command when the bench jar is on the class path. Each measures the things it compares side by side in one run, so the
 * ratios hold on a shared, noisy machine. One subcommand per benchmark, so that each one's own
 * options parse (and show in its {@code --help}) right after its name.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Run a benchmark; its results print as a table. `narrow bench NAME --help` for its options.",
    subcommands = {
        BenchCommand.Tokenizer.class,
        BenchCommand.TokenizeJob.class,
        BenchCommand.Train.class,
        BenchCommand.Distributed.class,
        BenchCommand.Prune.class,
        BenchCommand.Distill.class,
        BenchCommand.DistillStep.class,
        BenchCommand.Penalty.class,
    })
public final class BenchCommand {

  @Command(name = "tokenizer", mixinStandardHelpOptions = true,
      description = "Single-thread tokens/s of the fast encoder and of Hugging Face's (the oracle), "
          + "alternating rounds on the same documents; also checks that their ids agree.")
  static final class Tokenizer implements Callable<Integer> {
    @Option(names = "--tokenizer", paramLabel = "FILE",
        description = "tokenizer.json (default: the cached Llama-3.1 one)")
    Path tokenizer = TokenizerFiles.defaultLlama31();

    @Option(names = "--seconds", paramLabel = "N", defaultValue = "10",
        description = "seconds per round for each encoder (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "5",
        description = "rounds; the median counts (default: ${DEFAULT-VALUE})")
    int rounds;

    @Parameters(arity = "1..*", paramLabel = "FILE_OR_DIR", description = "documents: files, or folders' .py files")
    List<Path> inputs;

    @Override
    public Integer call() {
      if (rounds < 1 || seconds < 0) throw new UserError("--rounds must be at least 1 and --seconds not negative");
      List<Path> files = new ArrayList<>();
      for (Path input : inputs) {
        if (!Files.exists(input)) throw new UserError("no such file or folder: " + input);
        files.addAll(TokenizerBench.pythonFiles(input));
      }
      if (files.isEmpty()) throw new UserError("no .py files in " + inputs);
      System.out.print(TokenizerBench.run(tokenizer, files, seconds, rounds).report(rounds, seconds));
      return 0;
    }
  }

  @Command(name = "tokenize-job", mixinStandardHelpOptions = true,
      description = "The tokenize job's tokens/s on Spark local[1] and local[2] beside the raw "
          + "encoder's on the same documents.")
  public static final class TokenizeJob implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "SOURCE", defaultValue = TokenizeJobBench.STDLIB,
        description = "a codeparrot Parquet corpus, a source folder, or 'stdlib' (this machine's "
            + "Python library; the default)")
    public String source;

    @Option(names = "--encoder", paramLabel = "fast|oracle", defaultValue = "fast",
        description = "the encoder the job runs (default: ${DEFAULT-VALUE})")
    public String encoder;

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "2",
        description = "measured runs of each side after a warm-up; the best counts (default: ${DEFAULT-VALUE})")
    public int repeats;

    @Option(names = "--copies", paramLabel = "N", defaultValue = "1",
        description = "for stdlib: that many distinct copies of it, a corpus large enough for fixed "
            + "costs to fade (default: ${DEFAULT-VALUE})")
    public int copies;

    @Override
    public Integer call() throws Exception {
      System.out.println(TokenizeJobBench.measure(source, encoder, repeats, copies).report());
      return 0;
    }
  }

  @Command(name = "train", mixinStandardHelpOptions = true,
      description = {"Training tokens/s, MFU and memory of the real trainer step, beside eager "
          + "PyTorch (a 2.x from --python, the system's from --python-system) where it has torch.",
          "Example: --preset d16_l1_h2 --seq 32 --batch 2 --rounds 1 --steps 1 --growth-steps 0 --sides narrow-f32"})
  public static final class Train implements Callable<Integer> {
    private static final TrainBenchOptions D = TrainBenchOptions.defaults();

    @Option(names = "--config", split = ",", paramLabel = "PRESET:BxT[:ROUNDSxSTEPS]",
        description = "model sizes at batch x sequence length, with their rounds and timed steps per kernel "
            + "per round (default: d256_l4_h4:4x256:3x2,d768_l12_h12:1x1024:2x1)")
    public List<String> configs;

    @Option(names = "--preset", paramLabel = "PRESET", description = "one model instead of --config's (with --batch and --seq; "
        + "default d256_l4_h4)")
    public String preset;

    @Option(names = "--batch", paramLabel = "N", description = "rows per step of that one model (default 4)")
    public Integer batch;

    @Option(names = "--seq", paramLabel = "N", description = "sequence length of that one model (default 256)")
    public Integer seq;

    @Option(names = "--rounds", paramLabel = "N", description = "rounds, overriding every config's")
    public Integer rounds;

    @Option(names = "--steps", paramLabel = "N", description = "timed steps per kernel per round, overriding every config's")
    public Integer steps;

    @Option(names = "--sides", split = ",", paramLabel = "SIDE", description = "which sides run (default: ${DEFAULT-VALUE})")
    public List<String> sides = D.sides();

    @Option(names = "--kernels", split = ",", paramLabel = "eager|sdpa",
        description = "attention kernels each side runs; torch 1.x: eager only (default: ${DEFAULT-VALUE})")
    public List<String> kernels = D.kernels();

    @Option(names = "--warmup", paramLabel = "N", description = "untimed steps per kernel per round before the timed ones, one more "
        + "for the first kernel of a process just started (default: ${DEFAULT-VALUE})")
    public int warmup = D.warmup();

    @Option(names = "--gemm-reps", paramLabel = "N", description = "GEMM timings per shape per round, after an untimed one "
        + "(default: ${DEFAULT-VALUE})")
    public int gemmReps = D.gemmReps();

    @Option(names = "--growth-steps", paramLabel = "N", description = "steps of the tiny model's memory-growth run; 0: none "
        + "(default: ${DEFAULT-VALUE})")
    public int growthSteps = D.growthSteps();

    @Option(names = "--allocators", split = ",", paramLabel = "NAME",
        description = "native allocators to compare, every side once under each: inherit (the launcher's), "
            + "system, glibc, jemalloc, jemalloc-default (default: inherit)")
    public List<String> allocators = List.of(NativeAllocator.INHERIT.name());

    @Option(names = "--jemalloc-conf", paramLabel = "MALLOC_CONF",
        description = "MALLOC_CONF of the jemalloc allocator (default: ${DEFAULT-VALUE})")
    public String jemallocConf = NativeAllocator.JEMALLOC_CONF;

    @Option(names = "--python", paramLabel = "PATH", description = "a Python with PyTorch 2.x (default: "
        + "$NARROW_HF_PYTHON, else target/hf-venv/bin/python)")
    public String python = D.python();

    @Option(names = "--python-system", paramLabel = "PATH",
        description = "the system's Python with its PyTorch, Debian's 1.13 (default: ${DEFAULT-VALUE})")
    public String pythonSystem = D.pythonSystem();

    @Option(names = "--worker-heap", paramLabel = "SIZE",
        description = "-Xmx of narrow's worker JVMs; tensors live outside it (default: ${DEFAULT-VALUE})")
    public String workerHeap = D.workerHeap();

    /** The options as the benchmark takes them. */
    public TrainBenchOptions options() {
      List<BenchConfig> sizes = configs == null ? D.configs() : configs.stream().map(BenchConfig::parse).toList();
      if (preset != null || batch != null || seq != null) {
        sizes = List.of(new BenchConfig(preset != null ? preset : "d256_l4_h4", batch != null ? batch : 4,
            seq != null ? seq : 256, 3, 2));
      }
      if (rounds != null || steps != null) {
        sizes = sizes.stream().map(c -> new BenchConfig(c.preset(), c.batch(), c.seq(),
            rounds != null ? rounds : c.rounds(), steps != null ? steps : c.steps())).toList();
      }
      List<NativeAllocator> presets = allocators.stream().map(a -> NativeAllocator.named(a, jemallocConf)).toList();
      return new TrainBenchOptions(sizes, sides, kernels, warmup, gemmReps, growthSteps, presets, python,
          pythonSystem, D.torchScript(), workerHeap);
    }

    @Override
    public Integer call() throws Exception {
      System.out.println(TrainBench.run(options(), System.err::println).table());
      return 0;
    }
  }

  @Command(name = "distributed", mixinStandardHelpOptions = true,
      description = "Gloo all-reduce bandwidth on loopback beside a memory copy, and training "
          + "tokens/s with 1 and 2 replicas (one core each): the scaling efficiency, and how much of the "
          + "all-reduce overlapping it with backward hides.")
  static final class Distributed implements Callable<Integer> {
    @Option(names = "--preset", defaultValue = "d256_l4_h4", description = "model (default: ${DEFAULT-VALUE})")
    String preset;

    @Option(names = "--seq", defaultValue = "256", description = "sequence length (default: ${DEFAULT-VALUE})")
    int seq;

    @Option(names = "--batch", defaultValue = "4", description = "rows per replica and micro-batch: enough that "
        + "computation dominates; 8 needs more than 24 GB (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--steps", defaultValue = "3", description = "optimizer steps per run, the first not counted "
        + "(default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--rounds", defaultValue = "3", description = "rounds, interleaved, of each all-reduce size and "
        + "of each training run; the median counts "
        + "(default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--sizes", split = ",", defaultValue = "4,64,512",
        description = "all-reduce sizes in MB (default: ${DEFAULT-VALUE})")
    List<Integer> sizes;

    @Override
    public Integer call() throws Exception {
      if (steps < 2) throw new UserError("--steps must be at least 2: the first, warm-up, is not counted");
      if (rounds < 1 || batch < 1) throw new UserError("--rounds and --batch must be at least 1");
      DistributedBench.run(new DistributedBench.Options(preset, seq, batch, steps, rounds, sizes));
      return 0;
    }
  }

  @Command(name = "prune", mixinStandardHelpOptions = true,
      description = {"Attribution rows/s beside the same forward and backward and a training step (float32, "
          + "each in its own JVM, interleaved rounds), their peak memory against model + one gradient, and the "
          + "mask files' GB/s and heap beside a plain write.",
          "--rounds 0 leaves out the first part, --mask-rounds 0 the mask."})
  static final class Prune implements Callable<Integer> {
    private static final PruneBenchOptions D = PruneBenchOptions.defaults();

    @Option(names = "--preset", description = "model scored and trained (default: ${DEFAULT-VALUE})")
    String preset = D.preset();

    @Option(names = "--batch", description = "rows per batch (default: ${DEFAULT-VALUE})")
    int batch = D.batch();

    @Option(names = "--seq", description = "ids per row (default: ${DEFAULT-VALUE})")
    int seq = D.seq();

    @Option(names = "--rounds", description = "rounds of the sides; 0: no throughput part (default: ${DEFAULT-VALUE})")
    int rounds = D.rounds();

    @Option(names = "--steps", description = "timed batches per side per round (default: ${DEFAULT-VALUE})")
    int steps = D.steps();

    @Option(names = "--warmup", description = "untimed batches per side per round before them, one more in "
        + "round 1 (default: ${DEFAULT-VALUE})")
    int warmup = D.warmup();

    @Option(names = "--kernel", paramLabel = "eager|sdpa", description = "attention (default: ${DEFAULT-VALUE})")
    String kernel = D.kernel();

    @Option(names = "--worker-heap", paramLabel = "SIZE", description = "-Xmx of the sides' JVMs; tensors live "
        + "outside it (default: ${DEFAULT-VALUE})")
    String workerHeap = D.workerHeap();

    @Option(names = "--mask-model", paramLabel = "MODEL", description = "the mask's model: llama-3.2-1b (its "
        + "shape, 4.9 GB a file), a preset such as d512_l8_h8, or a config.json (default: ${DEFAULT-VALUE})")
    String maskModel = D.maskModel();

    @Option(names = "--neuron-sparsity", description = "(default: ${DEFAULT-VALUE})")
    double neuronSparsity = D.neuronSparsity();

    @Option(names = "--residual-sparsity", description = "(default: ${DEFAULT-VALUE})")
    double residualSparsity = D.residualSparsity();

    @Option(names = "--mask-rounds", description = "rounds of the three writes; 0: no mask part "
        + "(default: ${DEFAULT-VALUE})")
    int maskRounds = D.maskRounds();

    @Option(names = "--mask-heap", paramLabel = "SIZE", description = "-Xmx of the mask writer's JVM "
        + "(default: ${DEFAULT-VALUE})")
    String maskHeap = D.maskHeap();

    @Option(names = "--dir", paramLabel = "DIR", description = "where the mask files are written, then deleted; "
        + "needs room for one (default: ${DEFAULT-VALUE})")
    Path dir = D.dir();

    @Override
    public Integer call() throws Exception {
      PruneBenchOptions o = new PruneBenchOptions(preset, batch, seq, rounds, steps, warmup, kernel, workerHeap,
          maskModel, neuronSparsity, residualSparsity, maskRounds, maskHeap, dir);
      System.out.print(PruneBench.run(o, System.err::println).table());
      return 0;
    }
  }

  @Command(name = "distill", mixinStandardHelpOptions = true,
      description = "The distillation loss and its gradient w.r.t. the student's logits on random bf16 logits: "
          + "the fused chunked pass beside the study's unfused form (torch's log_softmax, softmax, kl_div and "
          + "autograd), each in its own JVM: median seconds and peak resident memory above the inputs.")
  static final class Distill implements Callable<Integer> {
    @Option(names = "--rows", defaultValue = "1024", description = "tokens (default: ${DEFAULT-VALUE})")
    long rows;

    @Option(names = "--vocab", defaultValue = "128256", description = "vocabulary (default: ${DEFAULT-VALUE}, Llama 3's)")
    long vocab;

    @Option(names = "--temperature", defaultValue = "2", description = "(default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--alpha", defaultValue = "0.5", description = "(default: ${DEFAULT-VALUE})")
    double alpha;

    @Option(names = "--rounds", defaultValue = "3", description = "timed steps of each side, interleaved, after "
        + "one warm-up; the median counts (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--worker-heap", paramLabel = "SIZE", defaultValue = "256m",
        description = "-Xmx of the sides' JVMs; tensors live outside it (default: ${DEFAULT-VALUE})")
    String workerHeap;

    @Override
    public Integer call() throws Exception {
      if (rows < 1 || vocab < 2 || rounds < 1) {
        throw new UserError("--rows must be at least 1, --vocab at least 2 and --rounds at least 1");
      }
      System.out.print(DistillBench.table(
          DistillBench.run(rows, vocab, temperature, alpha, rounds, workerHeap), rows, vocab));
      return 0;
    }
  }

  @Command(name = "distill-step", mixinStandardHelpOptions = true,
      description = {"A whole distillation step against the issue's goal: the student's training step, the "
          + "teacher's forward alone and the distillation step (fused; beside it the study's unfused form), each "
          + "side in its own JVM, interleaved rounds: median seconds, (c) / ((a) + 1.15 x (b)), and the peak of "
          + "memory in use (glibc's count, probed) and of resident memory against teacher weights + student "
          + "training state + one logits tensor.",
          "Example: --student d32_l1_h2 --teacher d64_l1_h2 --seq 16 --rounds 1"})
  public static final class DistillStep implements Callable<Integer> {
    private static final DistillStepOptions D = DistillStepOptions.defaults();

    @Option(names = "--student", paramLabel = "PRESET", description = "(default: ${DEFAULT-VALUE})")
    String student = D.student();

    @Option(names = "--teacher", paramLabel = "PRESET", description = "made fresh and saved by the bench in "
        + "the dtype it is held in: bf16 under bf16 autocast, else float32 (default: ${DEFAULT-VALUE})")
    String teacher = D.teacher();

    @Option(names = "--batch", description = "rows per step (default: ${DEFAULT-VALUE})")
    int batch = D.batch();

    @Option(names = "--seq", description = "ids per row (default: ${DEFAULT-VALUE})")
    int seq = D.seq();

    @Option(names = "--bf16", negatable = true, description = "bf16 autocast (default: on; --no-bf16: float32)")
    boolean bf16 = D.bf16();

    @Option(names = "--temperature", description = "(default: ${DEFAULT-VALUE})")
    double temperature = D.temperature();

    @Option(names = "--alpha", description = "(default: ${DEFAULT-VALUE})")
    double alpha = D.alpha();

    @Option(names = "--rounds", description = "rounds; the medians count (default: ${DEFAULT-VALUE})")
    int rounds = D.rounds();

    @Option(names = "--worker-heap", paramLabel = "SIZE", description = "-Xmx of the sides' JVMs; tensors live "
        + "outside it (default: ${DEFAULT-VALUE})")
    String workerHeap = D.workerHeap();

    @Override
    public Integer call() throws Exception {
      DistillStepOptions o = new DistillStepOptions(student, teacher, batch, seq, bf16, temperature, alpha, rounds,
          workerHeap);
      System.out.print(DistillStepBench.run(o, System.err::println).table());
      return 0;
    }
  }

  @Command(name = "penalty", mixinStandardHelpOptions = true,
      description = {"The sparsity penalty and its gradient against a training step, in one process: the step "
          + "without and with the penalty and each penalty alone, interleaved rounds, on a slice of Llama-3.2-1B's "
          + "shape in bf16 autocast; the penalty's share of a step, also at the study's 108 rows per step.",
          "Example: --layers 1 --hidden 64 --intermediate 128 --heads 4 --kv-heads 2 --vocab 320 --seq 32 --rounds 1"})
  public static final class Penalty implements Callable<Integer> {
    private static final PenaltyBenchOptions D = PenaltyBenchOptions.defaults();

    @Option(names = "--layers", description = "decoder layers (Llama-3.2-1B has 16; default: ${DEFAULT-VALUE})")
    int layers = D.layers();

    @Option(names = "--hidden", description = "(default: ${DEFAULT-VALUE})")
    int hidden = D.hidden();

    @Option(names = "--intermediate", description = "the MLP's width (default: ${DEFAULT-VALUE})")
    int intermediate = D.intermediate();

    @Option(names = "--heads", description = "attention heads; the head width is --hidden / --heads "
        + "(default: ${DEFAULT-VALUE})")
    int heads = D.heads();

    @Option(names = "--kv-heads", description = "key/value heads (default: ${DEFAULT-VALUE})")
    int kvHeads = D.kvHeads();

    @Option(names = "--vocab", description = "vocabulary, tied to the head; smaller if the model does not fit "
        + "(default: ${DEFAULT-VALUE})")
    int vocab = D.vocab();

    @Option(names = "--batch", description = "rows per step (default: ${DEFAULT-VALUE})")
    int batch = D.batch();

    @Option(names = "--seq", description = "ids per row (default: ${DEFAULT-VALUE})")
    int seq = D.seq();

    @Option(names = "--rounds", description = "rounds; the medians count (default: ${DEFAULT-VALUE})")
    int rounds = D.rounds();

    @Option(names = "--penalties", split = ",", paramLabel = "NAME",
        description = "penalties timed alone (default: all seven)")
    List<String> penalties = narrow.sparsity.Penalty.names();

    @Option(names = "--lambda", description = "weight of l1_of_l2_of_mlps in the step with the penalty "
        + "(default: ${DEFAULT-VALUE})")
    double lambda = D.lambda();

    @Override
    public Integer call() throws Exception {
      PenaltyBenchOptions o = new PenaltyBenchOptions(layers, hidden, intermediate, heads, kvHeads, vocab, batch, seq,
          rounds, PenaltyBenchOptions.penalties(penalties), D.stepPenalty(), lambda);
      System.out.print(PenaltyBench.run(o, System.err::println).table());
      return 0;
    }
  }
}
