package narrow.cli;

import java.io.IOException;
import java.util.concurrent.Callable;
import narrow.config.ExperimentConfig;
import narrow.config.TrainingPlan;
import narrow.distributed.ReplicaHooks;
import narrow.distributed.SharedPaths;
import narrow.distributed.TrainingJob;
import narrow.train.CheckpointStore;
import narrow.train.RunFolder;
import narrow.train.TrainResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Trains one model of an experiment on its tokenized shards, with HF Trainer semantics. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train one model of an experiment (one run of its grid) on the tokenized "
        + "shards; checkpoints land in <train.output_dir>/<run>/checkpoint-N/.")
final class TrainCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;
  @Mixin SparkOptions spark;
  @Spec CommandSpec spec;

  @Option(names = "--run", paramLabel = "NAME", description = "the run of the experiment's grid, e.g. d768_l12_h12")
  String run;

  @Option(names = "--resume", arity = "0..1", paramLabel = "CHECKPOINT", fallbackValue = "latest",
      description = "continue from a checkpoint folder, or from the run's newest one when no folder is given")
  String resume;

  @Option(names = "--overwrite",
      description = "replace the run already in <train.output_dir>/<run>/ (deletes everything in that folder)")
  boolean overwrite;

  @Override
  public Integer call() throws IOException {
    ExperimentConfig c = config.load(run);
    RunFolder.Start start = RunFolder.Start.of(resume != null, overwrite);
    TrainingPlan plan = TrainingPlan.of(c, config.file);
    SharedPaths.check(spark.master(), plan); // before output_dir is first reached
    TrainResult r;
    try (InterruptNotice notice = InterruptNotice.install(
        CheckpointStore.open(plan.args().outputDir(), spark.hadoopConfiguration()),
        spec.commandLine().getParseResult().originalArgs(), resume)) {
      r = TrainingJob.run(plan, resume, start, spark, ReplicaHooks.none());
    }
    System.out.printf("train: %d steps, train_loss %.4f, %,.0f tokens/s%n  final model: %s%n",
        r.globalStep(), r.trainLoss(), r.tokensPerSecond(), r.finalModel());
    return 0;
  }
}
