package narrow.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import narrow.data.tokenizer.TokenizerFiles;
import narrow.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

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

  /**
   * Passes its arguments through unparsed: the training benchmark reads its own
   * ({@code key=value}), and it changes with the trainer.
   */
  @Command(name = "train", mixinStandardHelpOptions = true,
      customSynopsis = "narrow bench train [-hV] [ARG...]",
      description = {"Training tokens/s, MFU and memory of the real trainer step, beside eager "
          + "PyTorch when /usr/bin/python3 has torch.",
          "ARG: the benchmark's own arguments, passed as they are, e.g. preset=d256_l4_h4 seq=256 "
          + "batch=4 warmup=2 steps=5 growth_steps=1000 python=/usr/bin/python3"})
  public static final class Train implements Callable<Integer> {
    @Unmatched
    public List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      TrainBench.main(args.toArray(String[]::new));
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
}
