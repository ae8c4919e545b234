package narrow.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import narrow.study.RunSelection;
import narrow.study.SharedSpark;
import narrow.study.StudyPlan;
import narrow.study.StudyRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Runs an experiment's whole grid, or the runs picked, resuming what is partial and skipping what is done. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run every run of an experiment's runs: grid (or those --run picks) one after another in one "
        + "Spark application: a prune: section prunes, else trains. A run whose final_model/ is complete is "
        + "skipped, a partial training run resumes from its newest complete checkpoint, a failed run is "
        + "reported and the next goes on. Exit code: the number of failed runs (0: all ok; at most 100).")
final class RunCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;
  @Mixin SparkOptions spark;

  @Option(names = "--run", paramLabel = "NAME|GLOB",
      description = "a run of the grid, or a glob of runs such as 'n0.50_*' (repeatable; default: every run)")
  List<String> runs = new ArrayList<>();

  @Option(names = "--dry-run",
      description = "print the plan (each run's state, method, parameters, tokens, FLOPs, replicas) and run nothing")
  boolean dryRun;

  @Override
  public Integer call() throws Exception {
    List<String> picked = RunSelection.select(config.file, runs);
    if (dryRun) {
      int invalid = StudyPlan.print(config.file, picked, config.overrides, spark.hadoopConfiguration(), System.out);
      return Math.min(invalid, StudyRunner.MAX_EXIT_CODE);
    }
    try (SharedSpark shared = new SharedSpark(spark, "narrow run " + config.file.getFileName())) {
      StudyRefresh refresh = new StudyRefresh(shared);
      int failed = new StudyRunner(config.file, config.overrides, shared, new RunFailures(), refresh).run(picked);
      refresh.report();
      return failed;
    }
  }
}
