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
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.engine.Torch;
import narrow.model.LlamaConfig;
import narrow.model.LlamaWeights;
import narrow.sparsity.AdaptiveLambda;
import narrow.sparsity.Penalty;
import narrow.sparsity.SparsitySettings;
import narrow.train.ModelSource;
import narrow.train.StepTimings;
import narrow.train.Trainer;
import narrow.train.TrainRun;
import narrow.train.TrainingHooks;
import narrow.util.UserError;
import org.bytedeco.pytorch.Tensor;

/**
 * {@code bench penalty}: what the group-sparsity penalty and its gradient cost against a training
 * step, in one process on one trainer (the penalty is switched on and off between its steps, see
 * {@link SwitchedObjective}): (a) the step without the penalty, (b) the step with it, and (c)
 * {@link Penalty#apply} alone on the model's weights, for each penalty, in interleaved rounds after
 * an untimed warm-up of each.
 *
 * <pre>jobs/narrow bench penalty [--layers 2] [--vocab 128256] [--batch 1] [--seq 1024] [--rounds 3] ...</pre>
 */
public final class PenaltyBench {
  /** Headroom for the JVM, libtorch and the allocator's slack beside the estimate. */
  private static final long MEMORY_MARGIN_KB = 1536L * 1024;

  private PenaltyBench() {}

  public static PenaltyBenchReport run(PenaltyBenchOptions o, Consumer<String> log) throws IOException {
    long start = System.nanoTime();
    String loadBefore = TrainBench.loadAverage();
    LlamaConfig config = o.config();
    checkMemory(o, config);
    SwitchedObjective objective = new SwitchedObjective(new SparsitySettings(o.stepPenalty(),
        AdaptiveLambda.Settings.fixed(o.lambda()), false).objective());
    Path dir = Files.createTempDirectory("penaltybench");
    try {
      Path data = TrainWorker.syntheticDataset(dir.resolve("data"), o.vocab(), o.seq(), 8 * o.batch(), 1);
      TrainRun run = TrainRun.of(new ModelSource.Fresh(config, 0), data,
          TrainWorker.benchArgs(dir.resolve("out"), o.seq(), o.batch(), true))
          .withHooks(TrainingHooks.none().withObjective(objective));
      log.accept("opening the trainer on " + config.numHiddenLayers() + " layers of hidden " + config.hiddenSize()
          + ", vocabulary " + config.vocabSize() + " ...");
      try (Trainer trainer = Trainer.open(run)) {
        return measure(o, trainer, objective, log, loadBefore, start);
      }
    } finally {
      narrow.util.LocalFolders.deleteRecursively(dir);
    }
  }

  private static PenaltyBenchReport measure(PenaltyBenchOptions o, Trainer trainer, SwitchedObjective objective,
      Consumer<String> log, String loadBefore, long start) throws IOException {
    LlamaWeights<Tensor> weights = trainer.model().weights();
    long params = weights.all().stream().mapToLong(Tensors::numel).sum();
    // outside any scope: they live across the trainer's steps, whose scopes must not take them
    LlamaWeights<Tensor> zeros = weights.map(t -> Tensors.zeros(trainer.model().device(), Tensors.shape(t)));
    List<Double> plain = new ArrayList<>();
    List<Double> plainOptimizer = new ArrayList<>();
    List<Double> penalized = new ArrayList<>();
    List<Double> inStep = new ArrayList<>();
    Map<Penalty, List<Double>> alone = new LinkedHashMap<>();
    for (Penalty p : o.penalties()) alone.put(p, new ArrayList<>());
    try {
      log.accept("warm-up: a step without the penalty, one with it, each penalty once");
      step(trainer, objective, false);
      step(trainer, objective, true);
      for (Penalty p : o.penalties()) apply(p, weights, zeros, o.lambda());
      for (int round = 1; round <= o.rounds(); round++) {
        // alternate which step goes first, so neither always follows the penalties' passes over memory
        for (boolean on : round % 2 == 1 ? new boolean[] {false, true} : new boolean[] {true, false}) {
          double[] s = step(trainer, objective, on);
          if (on) {
            penalized.add(s[0]);
            inStep.add(objective.lastSeconds());
          } else {
            plain.add(s[0]);
            plainOptimizer.add(s[1]);
          }
        }
        for (Penalty p : o.penalties()) alone.get(p).add(apply(p, weights, zeros, o.lambda()));
        log.accept(String.format(Locale.ROOT, "round %d/%d: step %.2f s, with %s %.2f s (of which the penalty "
            + "%.3f s); alone: %s", round, o.rounds(), last(plain), o.stepPenalty().studyName(), last(penalized),
            last(inStep), alone.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.3f s",
                e.getKey().studyName(), last(e.getValue()))).toList()));
      }
    } finally {
      for (Tensor z : zeros.all()) Tensors.free(z);
    }
    Map<Penalty, double[]> aloneSeconds = new LinkedHashMap<>();
    alone.forEach((p, s) -> aloneSeconds.put(p, toArray(s)));
    String engine = String.format(Locale.ROOT, "libtorch %s, %s, %d threads, %s attention, bf16 autocast %s",
        Torch.VERSION, Torch.blas().label(), Torch.threads(),
        trainer.model().attention().name().toLowerCase(Locale.ROOT), trainer.bf16() ? "on" : "off");
    return new PenaltyBenchReport(o, TrainBench.machine(loadBefore), engine, params, toArray(plain),
        toArray(plainOptimizer), toArray(penalized), toArray(inStep), aloneSeconds,
        (System.nanoTime() - start) / 60e9);
  }

  /** One trainer step: its seconds and those of its optimizer phase (clipping, AdamW, the objective's term). */
  private static double[] step(Trainer trainer, SwitchedObjective objective, boolean penalty) throws IOException {
    objective.enable(penalty);
    StepTimings before = trainer.timings();
    double seconds = trainer.step().seconds();
    return new double[] {seconds, trainer.timings().optimizer() - before.optimizer()};
  }

  /** Seconds of one {@link Penalty#apply}, in a scope of its own as the trainer's step gives it. */
  private static double apply(Penalty p, LlamaWeights<Tensor> weights, LlamaWeights<Tensor> gradients,
      double lambda) {
    try (TensorScope scope = new TensorScope()) {
      long t0 = System.nanoTime();
      p.apply(weights, gradients, lambda);
      return (System.nanoTime() - t0) / 1e9;
    }
  }

  /**
   * Refuses a slice that would not fit before minutes of building it: the trainer's estimate, less
   * the untied head it counts (20 bytes a parameter) since the slice ties it, and the zero gradients
   * {@link Penalty#apply} adds into.
   */
  private static void checkMemory(PenaltyBenchOptions o, LlamaConfig config) {
    ModelShape shape = ModelShape.of(config);
    long params = shape.headParams() + shape.layers() * (shape.layerMatmulParams() + 2 * shape.hidden());
    long training = shape.estimatedTrainingBytes(o.batch(), o.seq()) - 20 * shape.headParams();
    long needKb = (training + 4 * params) / 1024 + MEMORY_MARGIN_KB;
    long availableKb = TrainBench.memAvailableKb();
    if (availableKb < needKb) {
      throw new UserError(String.format(Locale.ROOT, "bench penalty needs about %.1f GiB for %d layers with a "
          + "vocabulary of %d at batch %d x %d; %.1f GiB are available: pick a smaller --vocab, --layers or --seq",
          needKb / 1048576.0, o.layers(), o.vocab(), o.batch(), o.seq(), availableKb / 1048576.0));
    }
  }

  private static double last(List<Double> xs) {
    return xs.get(xs.size() - 1);
  }

  private static double[] toArray(List<Double> xs) {
    return xs.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
