package narrow.study;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import narrow.distributed.ReplicaHooks;
import narrow.distributed.SparkAccess;
import narrow.distributed.TrainingJob;
import narrow.prune.PruneJob;
import narrow.prune.PruneResume;
import narrow.train.CheckpointStore;
import narrow.train.RunFolder;
import narrow.train.TrainResult;
import narrow.train.Trainer;
import narrow.train.TrainerState;
import narrow.util.Locations;

/**
 * {@code narrow run}: the runs of an experiment's grid one after another, each as {@code narrow
 * prune} (a {@code prune:} section) or {@code narrow train} runs it. A done run is skipped
 * untouched, a partial run resumes from its newest complete checkpoint (a pruning run with its
 * mask read back, {@link PruneResume}), a run that fails
 * ({@link FailurePolicy}) is reported in one line and the next goes on; a bug stops everything.
 * Ends with a summary table.
 */
public final class StudyRunner {
  /** The exit code is the number of failed runs, kept below the codes shells and schedulers reserve. */
  public static final int MAX_EXIT_CODE = 100;

  private final Path file;
  private final List<String> overrides;
  private final SparkAccess spark;
  private final FailurePolicy failures;
  private final AfterEachRun afterEachRun;

  /** @param spark the session every run shares ({@link SharedSpark}) */
  public StudyRunner(Path file, List<String> overrides, SparkAccess spark, FailurePolicy failures,
      AfterEachRun afterEachRun) {
    this.file = file;
    this.overrides = overrides;
    this.spark = spark;
    this.failures = failures;
    this.afterEachRun = afterEachRun;
  }

  /** Runs {@code runs} (names of the grid; a null: the file's one run); returns the exit code. */
  public int run(List<String> runs) throws Exception {
    List<RunOutcome> outcomes = new ArrayList<>();
    String outputRoot = null;
    for (int i = 0; i < runs.size(); i++) {
      String name = runs.get(i) == null ? "(default)" : runs.get(i);
      long start = System.nanoTime();
      PlannedRun r = null;
      RunOutcome outcome;
      try {
        r = PlannedRun.of(file, runs.get(i), overrides, spark.hadoopConfiguration());
        outputRoot = r.config().outputRoot() == null ? null : Locations.expanded(r.config().outputRoot());
        name = r.name();
        System.out.printf(Locale.ROOT, "%n== narrow run [%d/%d] %s: %s, %s -> %s%n", i + 1, runs.size(), name,
            r.state(), r.action(), r.plan().args().outputDir());
        outcome = r.state().kind() == RunState.Kind.DONE ? skipped(r) : execute(r, start);
      } catch (Exception e) {
        String reason = failures.reason(e);
        if (reason == null) throw e;
        System.err.println("narrow run: " + name + " failed: " + reason);
        outcome = new RunOutcome(name, r == null ? null : r.plan().args().outputDir(), r == null ? null : r.state(),
            RunOutcome.Result.FAILED, reason, null, seconds(start));
      }
      outcomes.add(outcome);
      afterEachRun.after(outputRoot, outcome);
    }
    printSummary(outcomes);
    long failed = outcomes.stream().filter(o -> o.result() == RunOutcome.Result.FAILED).count();
    return (int) Math.min(failed, MAX_EXIT_CODE);
  }

  /** A done run: nothing is written; its final eval loss is read from its final model's state. */
  private RunOutcome skipped(PlannedRun r) throws IOException {
    CheckpointStore store = CheckpointStore.open(r.plan().args().outputDir(), spark.hadoopConfiguration());
    Double loss;
    try {
      loss = lastEvalLoss(store.readTrainerState(Trainer.FINAL_MODEL));
    } catch (IOException unreadable) { // the run is done all the same: its loss is only shown
      loss = null;
    }
    return new RunOutcome(r.name(), store.root(), r.state(), RunOutcome.Result.SKIPPED, "skipped: final_model complete",
        loss, 0);
  }

  private RunOutcome execute(PlannedRun r, long start) throws IOException {
    String runDir = r.plan().args().outputDir();
    boolean again = r.state().kind() != RunState.Kind.NEW;
    if (r.prunes()) {
      PruneJob.Outcome o = r.resumes() ? PruneResume.run(r.plan(), r.config().prune(), file, spark)
          : PruneJob.run(r.plan(), r.config().prune(), file, again, spark);
      String done = r.resumes() ? "resumed at step " + r.state().step() + ", recovered to step "
          : (again ? "started over, " : "") + "pruned (" + r.config().prune().method() + "), recovered to step ";
      return new RunOutcome(r.name(), runDir, r.state(), RunOutcome.Result.FINISHED,
          done + o.training().globalStep(), o.metadata().evalLossFinal(), seconds(start));
    }
    RunFolder.Start how = r.resumes() ? RunFolder.Start.RESUME : again ? RunFolder.Start.OVERWRITE : RunFolder.Start.FRESH;
    TrainResult t = TrainingJob.run(r.plan(), r.resumes() ? "latest" : null, how, spark, ReplicaHooks.none());
    String done = "trained to step " + t.globalStep();
    if (r.resumes()) done = "resumed at step " + r.state().step() + ", " + done;
    else if (again) done = "started over, " + done;
    return new RunOutcome(r.name(), runDir, r.state(), RunOutcome.Result.FINISHED, done, lastEvalLoss(t.state()),
        seconds(start));
  }

  private static Double lastEvalLoss(TrainerState state) {
    List<Map<String, Object>> evals = state.entriesWith("eval_loss");
    return evals.isEmpty() ? null : ((Number) evals.get(evals.size() - 1).get("eval_loss")).doubleValue();
  }

  private static void printSummary(List<RunOutcome> outcomes) {
    List<List<String>> rows = new ArrayList<>();
    for (RunOutcome o : outcomes) {
      rows.add(List.of(o.run(), o.before() == null ? "-" : o.before().toString(),
          o.result() == RunOutcome.Result.FAILED ? "FAILED" : o.detail(),
          o.finalEvalLoss() == null ? "-" : String.format(Locale.ROOT, "%.4f", o.finalEvalLoss()),
          duration(o.seconds())));
    }
    long failed = outcomes.stream().filter(o -> o.result() == RunOutcome.Result.FAILED).count();
    System.out.printf(Locale.ROOT, "%nnarrow run: %d run%s, %d failed%n", outcomes.size(),
        outcomes.size() == 1 ? "" : "s", failed);
    Table.lines(List.of("run", "before", "outcome", "final eval_loss", "wall time"), rows).forEach(System.out::println);
    for (RunOutcome o : outcomes) {
      if (o.result() == RunOutcome.Result.FAILED) System.out.println("  " + o.run() + " failed: " + o.detail());
    }
  }

  private static String duration(double seconds) {
    long s = Math.round(seconds);
    return s < 60 ? String.format(Locale.ROOT, "%.1f s", seconds)
        : String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
