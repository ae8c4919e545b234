package narrow.study;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import narrow.config.ConfigLoader;
import narrow.config.ExperimentConfig;
import narrow.config.TrainingPlan;
import narrow.model.LlamaConfig;
import narrow.prune.PruneResume;
import narrow.train.CheckpointStore;
import narrow.train.ModelSource;
import narrow.train.TrainingArguments;
import org.apache.hadoop.conf.Configuration;

/**
 * One run of the grid as the runner will take it: its config (the file, the run's entry, the
 * {@code --set} values), the training plan, and where its folder stands.
 *
 * @param pruning for a pruning run with a complete checkpoint, whether its recovery resumes; else null
 */
public record PlannedRun(String name, ExperimentConfig config, TrainingPlan plan, RunState state,
    PruneResume.Decision pruning) {

  /**
   * Loads run {@code run} of {@code file} (null: the file without a grid) and reads its folder.
   *
   * @throws narrow.util.UserError when the run's config is wrong, or a partial pruning run's folder
   *     was pruned otherwise than it asks: the run's failure, not the grid's
   */
  public static PlannedRun of(Path file, String run, List<String> overrides, Configuration hadoop) throws IOException {
    ExperimentConfig c = ConfigLoader.load(file, run, overrides);
    TrainingPlan plan = TrainingPlan.of(c, file);
    if (c.prune() != null) c.prune().requireSparsities(file, c.runs().keySet());
    CheckpointStore folder = CheckpointStore.open(plan.args().outputDir(), hadoop);
    RunState state = RunState.of(folder);
    PruneResume.Decision pruning = null;
    if (c.prune() != null && state.kind() == RunState.Kind.PARTIAL && state.step() != null
        && plan.model() instanceof ModelSource.Pretrained base) {
      pruning = PruneResume.decide(folder, base, c.prune(), hadoop);
    }
    return new PlannedRun(plan.run(), c, plan, state, pruning);
  }

  /** A prune: section: the run is what {@code narrow prune} does; else what {@code narrow train} does. */
  public boolean prunes() {
    return config.prune() != null;
  }

  /**
   * Whether the run continues from its newest checkpoint: a pruning run only when its mask files
   * and metadata are there to continue its recovery with ({@link PruneResume}).
   */
  public boolean resumes() {
    return state.kind() == RunState.Kind.PARTIAL && state.step() != null && (!prunes() || pruning != null && pruning.resumes());
  }

  /** What the runner does with the run, as the plan says it. */
  public String action() {
    return switch (state.kind()) {
      case DONE -> "skip";
      case NEW -> "start";
      case PARTIAL -> resumes() ? "resume from checkpoint-" + state.step()
          : pruning != null ? "start over (" + pruning.startOverReason() + ")"
          : "start over (no complete checkpoint)";
    };
  }

  /** The study's name for what the run does. */
  public String method() {
    if (prunes()) return "prune " + config.prune().method() + " + recovery";
    if (config.distill() != null) return "distill";
    if (config.sparsity() != null) return "group sparsity";
    return plan.model() instanceof ModelSource.Preset ? "from scratch" : "fine-tune";
  }

  /** The parameters that tell the grid's runs apart: the model, sparsities, λ, teacher. */
  public String parameters() {
    List<String> p = new ArrayList<>();
    p.add(plan.model() instanceof ModelSource.Preset preset ? "preset " + preset.name()
        : "base " + ((ModelSource.Pretrained) plan.model()).location());
    if (prunes()) {
      if (config.prune().threshold() != null) p.add("norm threshold " + plain(config.prune().threshold()));
      else p.add(String.format(Locale.ROOT, "neurons %.2f, residual %.2f", config.prune().neuronSparsity(),
          config.prune().residualSparsity()));
    }
    if (config.sparsity() != null) {
      p.add("λ " + plain(config.sparsity().lambda()) + (config.sparsity().adaptive() ? " (adaptive)" : ""));
    }
    if (config.distill() != null) p.add("teacher " + config.distill().teacher());
    return String.join(", ", p);
  }

  /** As the config writes it ({@code 0.0005}), not as Java prints a double ({@code 5.0E-4}). */
  private static String plain(double value) {
    return java.math.BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }

  /** Training tokens: max_steps × per-device batch × accumulation × replicas × seq_len. */
  public long tokens() {
    TrainingArguments a = plan.args();
    return a.maxSteps() * a.perDeviceTrainBatchSize() * a.gradientAccumulationSteps()
        * config.distributed().replicas() * a.maxLength();
  }

  /** The model trained: a preset's shape, or the base model's config.json (read where it is). */
  public LlamaConfig model(Configuration hadoop) throws IOException {
    return plan.model() instanceof ModelSource.Preset p ? LlamaConfig.preset(p.name())
        : ((ModelSource.Pretrained) plan.model()).readConfig(hadoop);
  }
}
