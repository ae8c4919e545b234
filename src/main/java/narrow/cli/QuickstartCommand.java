package narrow.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import narrow.config.ConfigLoader;
import narrow.config.ExperimentConfig;
import narrow.config.TokenizerLocation;
import narrow.data.CorpusIngest;
import narrow.data.PythonLibrary;
import narrow.data.TokenizeJob;
import narrow.engine.TensorScope;
import narrow.model.LlamaForCausalLM;
import narrow.prune.ExperimentMetadata;
import narrow.sparsity.GroupNorms;
import narrow.sparsity.NormStatistics;
import narrow.report.StudyReport;
import narrow.study.RunSelection;
import narrow.study.SharedSpark;
import narrow.study.StudyRunner;
import narrow.train.CheckpointStore;
import narrow.train.Trainer;
import narrow.train.TrainerState;
import narrow.util.LocalFolders;
import narrow.util.UserError;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The whole pipeline on an embedded default: a corpus from the Python library installed here, the
 * Spark tokenize job, then the study's experiments at tiny scale, each an experiment file of
 * {@code conf/quickstart/} run by {@code narrow run} into one study tree: two sizes from scratch,
 * a smaller student distilled from the larger, attribution and random pruning with recovery, the
 * group penalty and pruning by norm; then the metrics tables, and the comparisons printed. Everything
 * lands under {@code runs/quickstart/} and is rebuilt on every run.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
    description = "Run the pipeline end to end on local Spark: corpus from the local Python "
        + "library, tokenize, then the study's experiments at tiny scale (conf/quickstart/*.yaml, with narrow run) "
        + "into the study's tree runs/quickstart/study/: two sizes from scratch, distillation, attribution and "
        + "random pruning with recovery, a group-sparsity penalty and pruning by norm; then the Parquet metrics "
        + "tables under runs/quickstart/study/_metrics/.")
final class QuickstartCommand implements Callable<Integer> {
  @Option(names = "--from", paramLabel = "DIR",
      description = "source tree for the corpus (default: this machine's Python standard library)")
  Path from;

  @Option(names = "--max-files", defaultValue = "2000",
      description = "at most this many .py files of the Python library (default: ${DEFAULT-VALUE})")
  int maxFiles;

  @Option(names = "--conf", paramLabel = "CONF",
      description = "the data and training defaults (default: conf/quickstart.yaml); the experiments are the "
          + "files of the folder beside it named quickstart/")
  Path conf;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "override a config value in every step (repeatable), e.g. train.max_steps=50")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--skip-train", description = "stop after the data stage")
  boolean skipTrain;

  @Option(names = "--skip-prune", description = "stop after training from scratch")
  boolean skipPrune;

  /**
   * The study's experiments in the order their inputs are made: trainscratch01's d64_l2_h2 is the
   * teacher and the base model of the ones after it, tuneprune15-redo's model is pruned by norm.
   */
  static final List<String> EXPERIMENTS = List.of("trainscratch01", "distillscratch00", "pruneandtrain01",
      "pruneandtrainrandom00", "tuneprune15-redo", "pruneandtrainnorm00");

  /** A neuron norm this small is what the penalty drove to (nearly) zero: the initial ones are about 0.3. */
  static final double SMALL_NORM = 1e-2;

  @Mixin SparkOptions spark;

  @Override
  public Integer call() throws Exception {
    Path root = Home.path("runs", "quickstart");
    Path study = root.resolve("study");
    Path configFile = conf != null ? conf : Home.path("conf", "quickstart.yaml");
    Path experiments = configFile.toAbsolutePath().resolveSibling("quickstart");
    Path corpus = root.resolve("corpus");
    List<String> settings = new ArrayList<>(List.of(
        "data.output=" + root.resolve("tokenized"), "output_root=" + study));
    settings.addAll(overrides);
    // Check the files and the --set values before any work. The corpus folder is only made
    // below, so this first check points data.input at a folder that exists.
    List<String> check = new ArrayList<>(settings);
    check.add("data.input=" + configFile.toAbsolutePath().getParent());
    ConfigLoader.load(configFile, check);
    for (String experiment : EXPERIMENTS) ConfigLoader.runNames(experimentFile(experiments, experiment));
    settings.add("data.input=" + corpus);

    Path sources = from != null ? from : copyPythonLibrary(root.resolve("source"));
    try (SharedSpark shared = new SharedSpark(spark, "narrow quickstart")) {
      SparkSession session = shared.session("narrow quickstart");
      step("1/5 corpus: " + sources + " -> " + corpus);
      IngestCommand.print(CorpusIngest.run(session, sources, corpus.toString(), true));
      ExperimentConfig config = ConfigLoader.load(configFile, settings);
      step("2/5 tokenize -> " + config.data().output());
      TokenizeCommand.print(TokenizeJob.run(session, TokenizerLocation.resolved(config.data())));
      if (skipTrain) return 0;

      LocalFolders.deleteRecursively(study); // a fresh study every time, on these new shards
      StudyRefresh refresh = new StudyRefresh(shared);
      for (String experiment : EXPERIMENTS) {
        boolean fromScratch = experiment.equals(EXPERIMENTS.get(0));
        Path file = experimentFile(experiments, experiment);
        step((fromScratch ? "3/5 " : "4/5 ") + experiment + ": jobs/narrow run " + file);
        int failed = new StudyRunner(file, settings, shared, new RunFailures(), refresh)
            .run(RunSelection.select(file, List.of()));
        if (failed > 0) {
          System.err.println("quickstart: " + experiment + " failed (above); the experiments after it need its runs");
          return failed;
        }
        if (fromScratch && skipPrune) return 0;
      }
      step("5/5 results: " + study);
      results(study);
      System.out.println();
      refresh.report();
      System.out.printf("%n  the study's tree:  %s%n  metrics tables:    %s%n  figures:           %s%n"
              + "  notebook:          %s (NARROW_ROOT=%s)%n", study, study.resolve("_metrics"),
          study.resolve(StudyReport.FOLDER).resolve(StudyReport.INDEX), Home.path("notebooks", "narrow.ipynb"), study);
    }
    return 0;
  }

  private static Path experimentFile(Path folder, String experiment) {
    return folder.resolve(experiment + ".yaml");
  }

  /** The study's comparisons on the quickstart's runs, read back from the run folders. */
  private static void results(Path study) throws Exception {
    TrainerState large = finalState(study.resolve("trainscratch01/d64_l2_h2"));
    List<Map<String, Object>> losses = large.entriesWith("loss");
    System.out.printf("train: d64_l2_h2 loss %s -> %s over %d steps; eval_loss %s%n",
        format(losses.get(0).get("loss")), format(losses.get(losses.size() - 1).get("loss")),
        large.globalStep(), lastEvalLoss(large));

    TrainerState scratch = finalState(study.resolve("trainscratch01/d32_l2_h2"));
    TrainerState distilled = finalState(study.resolve("distillscratch00/d32_l2_h2_d64_l2_h2"));
    System.out.printf("distill: d32_l2_h2 after %d steps: eval_loss %s from scratch, %s distilled from d64_l2_h2%n",
        distilled.globalStep(), lastEvalLoss(scratch), lastEvalLoss(distilled));

    Path tuned = study.resolve("tuneprune15-redo/lambda_0.05_bs_4_acc_1");
    List<Map<String, Object>> log = finalState(tuned).entriesWith("data_loss");
    double[][] norms = {neuronNorms(study.resolve("trainscratch01/d64_l2_h2/final_model")),
        neuronNorms(tuned.resolve("final_model"))};
    System.out.printf("sparsity: median neuron norm %.4f -> %.4f, neurons under %.0e: %d -> %d of %d; "
            + "data_loss %s -> %s, reg_loss %s -> %s%n", norms[0][norms[0].length / 2], norms[1][norms[1].length / 2],
        SMALL_NORM, NormStatistics.countBelow(norms[0], SMALL_NORM), NormStatistics.countBelow(norms[1], SMALL_NORM),
        norms[0].length, format(log.get(0).get("data_loss")), format(log.get(log.size() - 1).get("data_loss")),
        format(log.get(0).get("reg_loss")), format(log.get(log.size() - 1).get("reg_loss")));

    System.out.printf("%nprune (n0.50_r0.20): eval_loss  before     after  after recovery%n");
    for (String[] run : new String[][] {{"attribution", "pruneandtrain01"}, {"random", "pruneandtrainrandom00"},
        {"norm", "pruneandtrainnorm00"}}) {
      Path file = study.resolve(run[1]).resolve("n0.50_r0.20").resolve(ExperimentMetadata.FILE);
      ExperimentMetadata m = ExperimentMetadata.read(Files.readAllBytes(file), file.toString());
      System.out.printf(java.util.Locale.ROOT, "  %-11s  %8.3f  %8.3f  %8.3f%s%n", run[0], m.evalLossBefore(),
          m.evalLossAfterPruning(), m.evalLossFinal(), run[0].equals("norm") ? "   (the sparsity-tuned model)" : "");
    }
  }

  private static TrainerState finalState(Path run) throws java.io.IOException {
    return CheckpointStore.open(run.toString(), new org.apache.hadoop.conf.Configuration())
        .readTrainerState(Trainer.FINAL_MODEL);
  }

  /** The neuron norms of the model at {@code dir}, all layers, ascending. */
  private static double[] neuronNorms(Path dir) throws java.io.IOException {
    try (TensorScope scope = new TensorScope(); LlamaForCausalLM m = LlamaForCausalLM.load(dir)) {
      return java.util.Arrays.stream(GroupNorms.neurons(m.weights())).flatMapToDouble(java.util.Arrays::stream)
          .sorted().toArray();
    }
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

  private static String lastEvalLoss(TrainerState state) {
    List<Map<String, Object>> evals = state.entriesWith("eval_loss");
    return evals.isEmpty() ? "-" : format(evals.get(evals.size() - 1).get("eval_loss"));
  }

  private static String format(Object loss) {
    return loss instanceof Number n ? String.format("%.3f", n.doubleValue()) : String.valueOf(loss);
  }

  private static void step(String what) {
    System.out.println("\n== quickstart " + what);
  }
}
