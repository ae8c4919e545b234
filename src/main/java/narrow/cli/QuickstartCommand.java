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
import narrow.util.LocalFolders;
import narrow.util.UserError;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The whole pipeline on an embedded default: a corpus from the Python library installed here,
 * the Spark tokenize job, then a tiny model trained on the shards, then that model pruned by
 * attribution and at random at the same sparsity, each with a short recovery. Everything lands
 * under {@code runs/quickstart/} and is rebuilt on every run.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
    description = "Run the pipeline end to end on local Spark: corpus from the local Python "
        + "library, tokenize, train a tiny model, prune it (attribution and random) and recover. "
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

  /** The quickstart's pruning: the study's (0.5, 0.2) comparison point, a short recovery. */
  static final double NEURON_SPARSITY = 0.5;
  static final double RESIDUAL_SPARSITY = 0.2;
  static final int ATTRIBUTION_SAMPLES = 64;
  static final long RECOVERY_STEPS = 40;

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
      step("1/4 corpus: " + sources + " -> " + corpus);
      IngestCommand.print(CorpusIngest.run(session, sources, corpus.toString(), true));
      config = ConfigLoader.load(configFile, settings);

      step("2/4 tokenize -> " + config.data().output());
      TokenizeCommand.print(TokenizeJob.run(session, TokenizerLocation.resolved(config.data())));
    }
    if (skipTrain) return 0;

    TrainingPlan plan = TrainingPlan.of(config, configFile);
    step("3/4 train " + plan.run() + " for " + plan.args().maxSteps() + " steps -> " + plan.args().outputDir());
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
    prune(plan, Path.of(r.finalModel()), root.resolve("prune"), configFile);
    return 0;
  }

  /**
   * Prunes the model just trained by attribution and at random at the same sparsity, each
   * recovered for a few steps on the same rows, and prints the eval losses side by side.
   */
  private void prune(TrainingPlan trained, Path model, Path out, Path configFile) throws Exception {
    step(String.format(java.util.Locale.ROOT, "4/4 prune %s (neurons %.2f, residual dimensions %.2f) by "
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
    System.out.printf("prune: eval_loss      before     after  after %d recovery steps%n", RECOVERY_STEPS);
    table.forEach(System.out::println);
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
