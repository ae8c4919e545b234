package narrow.cli;

import java.io.IOException;
import java.util.concurrent.Callable;
import narrow.config.ConfigException;
import narrow.config.ExperimentConfig;
import narrow.config.TrainingPlan;
import narrow.prune.PruneJob;
import narrow.prune.PruneResume;
import narrow.train.RunFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Prunes a pretrained model (attribution scores or a random draw), writes the mask and its
 * statistics, and recovery-trains with the mask held: the study's {@code pruneandtrain01} and
 * {@code pruneandtrainrandom00}.
 */
@Command(name = "prune", mixinStandardHelpOptions = true,
    description = "Prune a pretrained model (prune.method attribution, random or norm), write pruning_mask.pt, "
        + "pruning_mask.safetensors, pruning_stats.json and experiment_metadata.json under "
        + "<train.output_dir>/<run>/, then recovery-train with the mask held.")
final class PruneCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;
  @Mixin SparkOptions spark;

  @Option(names = "--run", paramLabel = "NAME", description = "the run of the experiment's grid, e.g. n0.50_r0.50")
  String run;

  @Option(names = "--resume",
      description = "continue the recovery training of the run in <train.output_dir>/<run>/ from its newest "
          + "complete checkpoint, with the mask it wrote (no scoring again)")
  boolean resume;

  @Option(names = "--overwrite",
      description = "replace the run already in <train.output_dir>/<run>/ (deletes everything in that folder)")
  boolean overwrite;

  @Override
  public Integer call() throws IOException {
    ExperimentConfig c = config.load(run);
    if (c.prune() == null) throw new ConfigException(config.file + ": narrow prune needs a prune: section");
    c.prune().requireSparsities(config.file, c.runs().keySet());
    RunFolder.Start.of(resume, overwrite); // refuses both
    TrainingPlan plan = TrainingPlan.of(c, config.file);
    if (resume) PruneResume.run(plan, c.prune(), config.file, spark);
    else PruneJob.run(plan, c.prune(), config.file, overwrite, spark);
    return 0;
  }
}
