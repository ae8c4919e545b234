package narrow.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import narrow.config.ConfigLoader;
import narrow.config.ExperimentConfig;
import narrow.config.PruneConfig;
import narrow.config.TokenizerLocation;
import narrow.config.TrainingPlan;
import narrow.data.CorpusIngest;
import narrow.data.PythonLibrary;
import narrow.data.TokenizeJob;
import narrow.distributed.ReplicaHooks;
import narrow.distributed.TrainingJob;
import narrow.prune.ExperimentMetadata;
import narrow.prune.PruneJob;
import narrow.train.ModelSource;
import narrow.train.RunFolder;
import narrow.train.TrainResult;
import narrow.engine.TensorScope;
import narrow.model.LlamaForCausalLM;
import narrow.distill.DistillSettings;
import narrow.sparsity.AdaptiveLambda;
import narrow.sparsity.GroupNorms;
import narrow.sparsity.NormStatistics;
import narrow.sparsity.Penalty;
import narrow.sparsity.SparsitySettings;
import narrow.util.LocalFolders;
import narrow.util.UserError;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The whole pipeline on an embedded default: a corpus from the Python library installed here,
 * the Spark tokenize job, then a tiny model trained on the shards, then that model pruned by
 * attribution and at random at the same sparsity, each with a short recovery, then fine-tuned with
 * the study's group penalty and pruned by norm at that sparsity; and a smaller student distilled
 * from it beside the same student trained from scratch. Everything lands
 * under {@code runs/quickstart/} and is rebuilt on every run.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
    description = "Run the pipeline end to end on local Spark: corpus from the local Python "
        + "library, tokenize, train a tiny model, prune it (attribution and random) and recover, "
        + "fine-tune it with a group-sparsity penalty and prune that by norm, distil a smaller student "
        + "from it. "
        + "Outputs under runs/quickstart/.")
final class QuickstartCommand implements Callable<Integer> {
  @Option(names = "--from", paramLabel = "DIR",
      description = "source tree for the corpus (default: this machine's Python standard library)")
  Path from;

  @Option(names = "--max-files", defaultValue = "2000",
      description = "at most this many .py files of the Python library (default: ${DEFAULT-VALUE})")
  int maxFiles;

  @Option(names = "--conf", paramLabel = "CONF", description = "experiment config (default: conf/quickstart.yaml)")
  Path conf;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config value (repeatable)")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--skip-train", description = "stop after the data stage")
  boolean skipTrain;

  @Option(names = "--skip-prune", description = "stop after training")
  boolean skipPrune;

  @Option(names = "--distill-steps", defaultValue = "100",
      description = "steps of the distilled student and of the same student from scratch (default: ${DEFAULT-VALUE})")
  long distillSteps;

  @Option(names = "--sparsity-steps", defaultValue = "60",
      description = "steps of the group-sparsity fine-tuning (default: ${DEFAULT-VALUE})")
  long sparsitySteps;

  /** The quickstart's pruning: the study's (0.5, 0.2) comparison point, a short recovery. */
  static final double NEURON_SPARSITY = 0.5;
  static final double RESIDUAL_SPARSITY = 0.2;
  static final int ATTRIBUTION_SAMPLES = 64;
  static final long RECOVERY_STEPS = 40;
  /** The distillation's student: a smaller tiny model than the quickstart's, its size's study name. */
  static final String STUDENT = "d32_l2_h2";

  /** The group-sparsity fine-tuning: the study's penalty, a λ that visibly zeroes neurons in a minute. */
  static final double SPARSITY_LAMBDA = 0.05;
  /** A neuron norm this small is what the penalty drove to (nearly) zero: the initial ones are about 0.3. */
  static final double SMALL_NORM = 1e-2;

  @Mixin SparkOptions spark;

  @Override
  public Integer call() throws Exception {
    Path root = Home.path("runs", "quickstart");
    Path configFile = conf != null ? conf : Home.path("conf", "quickstart.yaml");
    Path corpus = root.resolve("corpus");
    List<String> settings = new ArrayList<>(List.of(
        "data.output=" + root.resolve("tokenized"),
        "train.output_dir=" + root.resolve("train")));
    settings.addAll(overrides);
    // Check the file and the --set values before any work. The corpus folder is only made
    // below, so this first check points data.input at a folder that exists.
    List<String> check = new ArrayList<>(settings);
    check.add("data.input=" + configFile.toAbsolutePath().getParent());
    ConfigLoader.load(configFile, check);
    settings.add("data.input=" + corpus);

    Path sources = from != null ? from : copyPythonLibrary(root.resolve("source"));
    ExperimentConfig config;
    try (SparkSession session = spark.session("narrow quickstart")) {
      step("1/6 corpus: " + sources + " -> " + corpus);
      IngestCommand.print(CorpusIngest.run(session, sources, corpus.toString(), true));
      config = ConfigLoader.load(configFile, settings);

      step("2/6 tokenize -> " + config.data().output());
      TokenizeCommand.print(TokenizeJob.run(session, TokenizerLocation.resolved(config.data())));
    }
    if (skipTrain) return 0;

    TrainingPlan plan = TrainingPlan.of(config, configFile);
    step("3/6 train " + plan.run() + " for " + plan.args().maxSteps() + " steps -> " + plan.args().outputDir());
    // a fresh run every time
    TrainResult r = TrainingJob.run(plan, null, RunFolder.Start.OVERWRITE, spark, ReplicaHooks.none());
    List<Map<String, Object>> losses = r.state().entriesWith("loss");
    System.out.printf("train: %d steps in %.0f s, %,.0f tokens/s; loss %s -> %s; eval_loss %s%n"
            + "  checkpoints and final model: %s%n",
        r.globalStep(), r.trainRuntimeSeconds(), r.tokensPerSecond(),
        losses.isEmpty() ? "?" : format(losses.get(0).get("loss")),
        losses.isEmpty() ? "?" : format(losses.get(losses.size() - 1).get("loss")),
        lastEvalLoss(r), plan.args().outputDir());
    if (skipPrune) return 0;
    distill(plan, Path.of(r.finalModel()), root.resolve("distill"));
    List<String> table = prune(plan, Path.of(r.finalModel()), root.resolve("prune"), configFile);
    table.add(groupSparsity(plan, Path.of(r.finalModel()), root, configFile));
    System.out.printf("%nprune: eval_loss      before     after  after %d recovery steps%n", RECOVERY_STEPS);
    table.forEach(System.out::println);
    return 0;
  }

  /**
   * The study's comparison on the quickstart's scale: a smaller student distilled from the model
   * just trained (temperature 2, alpha 0.5), and the same student trained from scratch for the
   * same steps on the same rows; prints both eval losses.
   */
  private void distill(TrainingPlan trained, Path teacher, Path out) throws Exception {
    step(String.format(java.util.Locale.ROOT, "4/6 distill %s from %s for %d steps, and train it from scratch "
        + "for as many -> %s", STUDENT, teacher, distillSteps, out));
    DistillSettings settings = new DistillSettings(teacher.toString(), 2.0, 0.5, 0.999);
    String[] losses = new String[2];
    for (int i = 0; i < 2; i++) {
      String name = i == 0 ? "scratch" : "distilled";
      TrainingPlan plan = new TrainingPlan(name, trained.spec()
          .withModel(new ModelSource.Preset(STUDENT, trained.args().seed()))
          .withArgs(trained.args().with(Map.of("output_dir", out.resolve(name).toString(), "max_steps", distillSteps,
              "warmup_steps", Math.max(1, distillSteps / 10), "eval_steps", distillSteps, "save_steps", distillSteps,
              "logging_steps", Math.max(1, distillSteps / 5)))), trained.distributed(), null,
          i == 0 ? null : settings);
      losses[i] = lastEvalLoss(TrainingJob.run(plan, null, RunFolder.Start.OVERWRITE, spark, ReplicaHooks.none()));
    }
    System.out.printf("distill: %s after %d steps: eval_loss %s from scratch, %s distilled from the %s model%n",
        STUDENT, distillSteps, losses[0], losses[1], trained.run());
  }

  /**
   * Fine-tunes the trained model with the study's group penalty, prints how many neurons it drove
   * towards zero, then prunes the result by norm at the attribution run's sparsity with the same
   * recovery; returns its row of the comparison.
   */
  private String groupSparsity(TrainingPlan trained, Path model, Path root, Path configFile) throws Exception {
    Path out = root.resolve("sparsity");
    step(String.format(java.util.Locale.ROOT, "6/6 group sparsity: fine-tune %s with l1_of_l2_of_mlps (λ %.3g) "
        + "for %d steps -> %s, then prune it by norm", model, SPARSITY_LAMBDA, sparsitySteps, out));
    SparsitySettings penalty = new SparsitySettings(Penalty.L1_OF_L2_OF_MLPS,
        AdaptiveLambda.Settings.fixed(SPARSITY_LAMBDA), true);
    TrainingPlan tune = new TrainingPlan("sparsity", trained.spec().withModel(new ModelSource.Pretrained(model))
        .withArgs(trained.args().with(Map.of("output_dir", out.toString(), "max_steps", sparsitySteps,
            "warmup_steps", 0, "lr_scheduler_type", "constant", "eval_steps", sparsitySteps,
            "save_steps", sparsitySteps, "logging_steps", Math.max(1, sparsitySteps / 6)))), trained.distributed(),
        penalty, null);
    TrainResult tuned = TrainingJob.run(tune, null, RunFolder.Start.OVERWRITE, spark, ReplicaHooks.none());
    List<Map<String, Object>> log = tuned.state().entriesWith("data_loss");
    double[][] norms = {neuronNorms(model), neuronNorms(Path.of(tuned.finalModel()))};
    System.out.printf("sparsity: median neuron norm %.4f -> %.4f, neurons under %.0e: %d -> %d of %d; "
            + "data_loss %s -> %s, reg_loss %s -> %s%n", norms[0][norms[0].length / 2], norms[1][norms[1].length / 2],
        SMALL_NORM, NormStatistics.countBelow(norms[0], SMALL_NORM), NormStatistics.countBelow(norms[1], SMALL_NORM), norms[0].length,
        format(log.get(0).get("data_loss")),
        format(log.get(log.size() - 1).get("data_loss")), format(log.get(0).get("reg_loss")),
        format(log.get(log.size() - 1).get("reg_loss")));

    PruneConfig byNorm = new PruneConfig(PruneConfig.Method.NORM, NEURON_SPARSITY, RESIDUAL_SPARSITY,
        ATTRIBUTION_SAMPLES, 8, 2, trained.args().seed(), false, null);
    TrainingPlan plan = trained.with("norm", trained.spec().withModel(new ModelSource.Pretrained(tuned.finalModel()))
        .withArgs(trained.args().with(Map.of(
        "output_dir", root.resolve("prune").resolve("norm").toString(), "max_steps", RECOVERY_STEPS,
        "warmup_steps", 4, "eval_steps", RECOVERY_STEPS / 2, "save_steps", RECOVERY_STEPS, "logging_steps", 10))));
    ExperimentMetadata m = PruneJob.run(plan, byNorm, configFile, true, spark).metadata();
    return String.format(java.util.Locale.ROOT, "  %-11s  %8.3f  %8.3f  %8.3f   (the sparsity-tuned model)",
        "norm", m.evalLossBefore(), m.evalLossAfterPruning(), m.evalLossFinal());
  }

  /** The neuron norms of the model at {@code dir}, all layers, ascending. */
  private static double[] neuronNorms(Path dir) throws java.io.IOException {
    try (TensorScope scope = new TensorScope(); LlamaForCausalLM m = LlamaForCausalLM.load(dir)) {
      return java.util.Arrays.stream(GroupNorms.neurons(m.weights())).flatMapToDouble(java.util.Arrays::stream)
          .sorted().toArray();
    }
  }


  /**
   * Prunes the model just trained by attribution and at random at the same sparsity, each
   * recovered for a few steps on the same rows, and prints the eval losses side by side.
   */
  private List<String> prune(TrainingPlan trained, Path model, Path out, Path configFile) throws Exception {
    step(String.format(java.util.Locale.ROOT, "5/6 prune %s (neurons %.2f, residual dimensions %.2f) by "
        + "attribution and at random, %d recovery steps each -> %s", model, NEURON_SPARSITY, RESIDUAL_SPARSITY,
        RECOVERY_STEPS, out));
    List<String> table = new ArrayList<>();
    for (PruneConfig.Method by : List.of(PruneConfig.Method.ATTRIBUTION, PruneConfig.Method.RANDOM)) {
      String method = by.toString();
      PruneConfig p = new PruneConfig(by, NEURON_SPARSITY, RESIDUAL_SPARSITY, ATTRIBUTION_SAMPLES, 8, 2,
          trained.args().seed(), false, null);
      TrainingPlan plan = trained.with(method, trained.spec().withModel(new ModelSource.Pretrained(model))
          .withArgs(trained.args().with(Map.of(
          "output_dir", out.resolve(method).toString(), "max_steps", RECOVERY_STEPS, "warmup_steps", 4,
          "eval_steps", RECOVERY_STEPS / 2, "save_steps", RECOVERY_STEPS, "logging_steps", 10))));
      ExperimentMetadata m = PruneJob.run(plan, p, configFile, true, spark).metadata();
      table.add(String.format(java.util.Locale.ROOT, "  %-11s  %8.3f  %8.3f  %8.3f", method, m.evalLossBefore(),
          m.evalLossAfterPruning(), m.evalLossFinal()));
    }
    return table;
  }

  private Path copyPythonLibrary(Path target) throws Exception {
    Path stdlib = PythonLibrary.find().orElseThrow(() -> new UserError(
        "no Python standard library found on this machine (asked python3, looked in /usr/lib); "
            + "give a source tree with --from DIR"));
    LocalFolders.deleteRecursively(target);
    Files.createDirectories(target);
    int files = PythonLibrary.copySubset(stdlib, target, maxFiles, false);
    System.out.printf("quickstart: %d .py files of %s%n", files, stdlib);
    return target;
  }

  private static String lastEvalLoss(TrainResult r) {
    List<Map<String, Object>> evals = r.state().entriesWith("eval_loss");
    return evals.isEmpty() ? "-" : format(evals.get(evals.size() - 1).get("eval_loss"));
  }

  private static String format(Object loss) {
    return loss instanceof Number n ? String.format("%.3f", n.doubleValue()) : String.valueOf(loss);
  }

  private static void step(String what) {
    System.out.println("\n== quickstart " + what);
  }
}
