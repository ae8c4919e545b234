package narrow.prune;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import narrow.config.ConfigException;
import narrow.config.PruneConfig;
import narrow.config.TrainingPlan;
import narrow.data.TokenizeManifest;
import narrow.data.TokenizedDataset;
import narrow.distributed.SharedPaths;
import narrow.distributed.SparkAccess;
import narrow.distributed.TrainingJob;
import narrow.engine.Autograd;
import narrow.engine.TensorScope;
import narrow.model.LlamaConfig;
import narrow.model.LlamaForCausalLM;
import narrow.train.CheckpointStore;
import narrow.train.ModelSource;
import narrow.train.RunFolder;
import narrow.train.TokenizerCheck;
import narrow.train.TrainResult;
import narrow.train.Evaluator;
import narrow.util.LocalFolders;
import narrow.util.Locations;
import narrow.util.Versions;
import narrow.util.OutputFolder;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * One pruning run of the study's {@code pruneandtrain01} / {@code pruneandtrainrandom00}: check
 * the inputs, score (a Spark job) or draw the pruned neurons and dimensions, write the mask, its
 * statistics and the metadata into the run's folder, evaluate before and right after pruning,
 * then recovery-train with the mask held.
 */
public final class PruneJob {
  private PruneJob() {}

  /**
   * What one pruning run did: the selection (null for a resumed recovery: it was not made again),
   * the metadata as written last, the recovery.
   */
  public record Outcome(PruningSelection selection, ExperimentMetadata metadata, TrainResult training) {}

  /**
   * One pruning run: score or draw, write the mask files, the stats and the metadata under the
   * run's folder ({@code plan.args().outputDir()}), evaluate before and right after pruning, then
   * recovery-train with the mask held.
   *
   * @param file the config file, named in errors
   * @param overwrite replace a run already in the run's folder (else such a folder is refused)
   */
  public static Outcome run(TrainingPlan plan, PruneConfig p, Path file, boolean overwrite, SparkAccess spark)
      throws IOException {
    if (!(plan.model() instanceof ModelSource.Pretrained pretrained)) {
      throw new ConfigException(file + ": model.pretrained: narrow prune prunes a pretrained model, not a preset");
    }
    // before any work: the attribution tasks and the recovery's replicas may run on other machines
    SharedPaths.check(spark.master(), plan);
    String outputDir = plan.args().outputDir();
    Configuration hadoop = spark.hadoopConfiguration();
    // the run's files are written to a local folder: output_dir itself (made when the first file
    // is written), or, when it is remote, a staging folder whose files are uploaded as each is
    // complete (the mask is streamed to disk)
    boolean remote = Locations.isRemote(outputDir);
    Path runDir = remote ? Files.createTempDirectory("narrow-prune-") : Path.of(outputDir);
    Outputs outputs = new Outputs(runDir, CheckpointStore.open(outputDir, hadoop), remote, overwrite, hadoop);
    // a remote base model is downloaded here for the driver's part (checks, evaluation); the
    // attribution tasks and the replicas fetch it themselves
    CheckpointStore.LocalCopy base = CheckpointStore.fetchModel(pretrained.location(), hadoop);
    try {
      return prune(plan, p, pretrained, base, outputs, hadoop, spark);
    } finally {
      base.close();
      if (remote) LocalFolders.deleteRecursively(runDir);
    }
  }

  /**
   * Where a run's own files are written ({@code dir}), and the output_dir they go to ({@code
   * store}: the same folder unless {@code remote}); {@code overwrite}: replace a run already there.
   */
  private record Outputs(Path dir, CheckpointStore store, boolean remote, boolean overwrite, Configuration hadoop) {
    /** Refuses a folder holding a run, or deletes it with --overwrite: once the inputs are known to be good. */
    void prepare() throws IOException {
      RunFolder.prepare(store, RunFolder.Start.of(false, overwrite), "prune", true);
    }

    /** Publishes files written under {@link #dir}: a no-op on local disk. */
    void publish(String... names) throws IOException {
      if (!remote) return;
      for (String name : names) OutputFolder.publishFile(dir.resolve(name), store.location(name), hadoop);
    }
  }

  /** The run proper, on the base model's local files {@code base} (closed before recovery: replicas fetch their own). */
  private static Outcome prune(TrainingPlan plan, PruneConfig p, ModelSource.Pretrained pretrained,
      CheckpointStore.LocalCopy base, Outputs out, Configuration hadoop, SparkAccess spark) throws IOException {
    Path modelDir = base.dir();
    Path runDir = out.dir();
    // the inputs are checked before Spark starts and before anything is written (a mask of a 1B
    // model is gigabytes): the base model's headers against its config, the data, the tokenizer
    LlamaForCausalLM.validate(modelDir);
    LlamaConfig modelConfig = LlamaConfig.read(modelDir.resolve("config.json"));
    Map<String, Double> timings = new LinkedHashMap<>();
    String runDate = LocalDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString();

    TokenizedDataset data = TokenizedDataset.open(plan.dataset(), hadoop);
    data.manifest().ifPresent(m -> TokenizerCheck.check(modelConfig, m.tokenizer(), pretrained.location(),
        plan.dataset()));
    out.prepare();

    long start = System.nanoTime();
    PruningSelection selection;
    AttributionScores scores = null;
    if (p.method() == PruneConfig.Method.ATTRIBUTION) {
      SparkSession session = spark.session("narrow prune " + plan.run());
      try {
        AttributionResult r = AttributionJob.run(JavaSparkContext.fromSparkContext(session.sparkContext()),
            new AttributionJob.Settings(pretrained.location(), plan.dataset(), "train", p.samples(), p.batchSize(),
                plan.args().maxLength(), p.partitions(), p.neuronSparsity(), p.residualSparsity()));
        selection = r.pruned();
        scores = r.scores();
      } finally {
        spark.release(session);
      }
      timings.put("attribution", seconds(start));
    } else if (p.method() == PruneConfig.Method.NORM) {
      try (TensorScope scope = new TensorScope(); LlamaForCausalLM model = LlamaForCausalLM.load(modelDir)) {
        scores = NormPruning.scores(model);
      }
      selection = NormPruning.select(scores, orZero(p.neuronSparsity()), orZero(p.residualSparsity()), p.threshold());
      timings.put("norms", seconds(start));
    } else {
      selection = RandomPruning.draw(modelConfig.numHiddenLayers(), modelConfig.intermediateSize(),
          modelConfig.hiddenSize(), p.neuronSparsity(), p.residualSparsity(), p.seed(), p.withReplacement());
      timings.put("random_draw", seconds(start));
    }
    PruningMask mask = PruningMask.of(selection, modelConfig);

    start = System.nanoTime();
    Files.createDirectories(runDir); // only now: a run that fails before its first file leaves no folder
    MaskFiles.write(mask, runDir);
    PruningStats.write(runDir.resolve(PruningStats.FILE), selection, scores);
    out.publish(MaskFiles.TORCH_FILE, MaskFiles.SAFETENSORS_FILE, PruningStats.FILE);
    timings.put("mask_files", seconds(start));

    start = System.nanoTime();
    double[] losses = evalBeforeAndAfter(modelDir, mask, data, plan);
    timings.put("evaluation", seconds(start));
    System.out.printf("prune: %s, %d of %d neurons and %d of %d residual dimensions pruned; eval_loss %.4f before, "
            + "%.4f after pruning%n", p.method(), selection.neurons().size(), selection.totalNeurons(),
        selection.residuals().size(), selection.totalResiduals(), losses[0], losses[1]);

    boolean attribution = p.method() == PruneConfig.Method.ATTRIBUTION;
    // a norm threshold sets no sparsity: the fractions it pruned are recorded
    double neuronSparsity = p.neuronSparsity() != null ? p.neuronSparsity()
        : selection.neurons().size() / (double) selection.totalNeurons();
    double residualSparsity = p.residualSparsity() != null ? p.residualSparsity()
        : selection.residuals().size() / (double) selection.totalResiduals();
    ExperimentMetadata meta = new ExperimentMetadata(pretrained.name(), neuronSparsity,
        residualSparsity, runDate, p.method().toString(), p.seed(), attribution ? p.samples() : 0,
        attribution ? p.batchSize() : 0, p.withReplacement(), TokenizeManifest.sha256(plan.dataset(), hadoop), losses[0], losses[1], null, timings,
        Versions.of());
    meta.write(runDir.resolve(ExperimentMetadata.FILE));
    out.publish(ExperimentMetadata.FILE);

    base.close(); // the replicas load the base model themselves
    start = System.nanoTime();
    TrainResult r = recover(plan, p, mask, losses[0], false, spark);
    Double finalLoss = finalEvalLoss(r);
    double trainingSeconds = seconds(start);
    meta.finished(finalLoss, "training", trainingSeconds).write(runDir.resolve(ExperimentMetadata.FILE));
    out.publish(ExperimentMetadata.FILE);
    printRecovery(r, finalLoss);
    return new Outcome(selection, meta.finished(finalLoss, "training", trainingSeconds), r);
  }

  /**
   * Recovery training with the mask held, in the run's folder made ready: from step 0, or from its
   * newest complete checkpoint when {@code resume}. Both methods skip the attribution rows, so
   * they recover on the same data.
   */
  static TrainResult recover(TrainingPlan plan, PruneConfig p, PruningMask mask, double evalLossBefore,
      boolean resume, SparkAccess spark) throws IOException {
    TrainingPlan recovery = plan.with(plan.run(),
        plan.spec().withArgs(plan.args().with("skip_train_rows", (long) p.samples())));
    return TrainingJob.run(recovery, resume ? "latest" : null, resume ? RunFolder.Start.RESUME : null, spark,
        MaskedTraining.replicaHooks(mask, evalLossBefore));
  }

  /** The recovery's last eval_loss, or null when it never evaluated. */
  static Double finalEvalLoss(TrainResult r) {
    List<Map<String, Object>> evals = r.state().entriesWith("eval_loss");
    return evals.isEmpty() ? null : ((Number) evals.get(evals.size() - 1).get("eval_loss")).doubleValue();
  }

  static void printRecovery(TrainResult r, Double finalLoss) {
    System.out.printf("prune: recovery %d steps, train_loss %.4f, final eval_loss %s%n  final model: %s%n",
        r.globalStep(), r.trainLoss(), finalLoss == null ? "(no evaluation)" : String.format("%.4f", finalLoss),
        r.finalModel());
  }

  /** The base model's eval loss, then the same model's with the mask applied. */
  private static double[] evalBeforeAndAfter(Path modelDir, PruningMask mask, TokenizedDataset data,
      TrainingPlan plan) throws IOException {
    try (TensorScope scope = new TensorScope(); LlamaForCausalLM model = LlamaForCausalLM.load(modelDir)) {
      double before = Evaluator.evaluateValidation(model, data, plan.args());
      try (Autograd.Scope noGrad = Autograd.noGrad()) {
        mask.applyTo(model.parameters());
      }
      return new double[] {before, Evaluator.evaluateValidation(model, data, plan.args())};
    }
  }

  private static double orZero(Double sparsity) {
    return sparsity == null ? 0 : sparsity;
  }

  static double seconds(long startNanos) {
    return Math.round((System.nanoTime() - startNanos) / 1e6) / 1e3;
  }
}
