package narrow.prune;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import narrow.config.ConfigException;
import narrow.config.PruneConfig;
import narrow.config.TrainingPlan;
import narrow.distributed.SharedPaths;
import narrow.distributed.SparkAccess;
import narrow.model.LlamaConfig;
import narrow.model.LlamaForCausalLM;
import narrow.train.CheckpointStore;
import narrow.train.ModelSource;
import narrow.train.TrainResult;
import narrow.util.LocalFolders;
import narrow.util.Locations;
import narrow.util.ObjectStores;
import narrow.util.UserError;
import org.apache.hadoop.conf.Configuration;

/**
 * An interrupted pruning run continued: its recovery training resumes from the newest complete
 * checkpoint with the mask read back from {@code pruning_mask.safetensors} and the losses from
 * {@code experiment_metadata.json}, instead of scoring again. Only a run whose files were all
 * written is resumed: the metadata is written after the mask files and before the first
 * checkpoint, so a folder with a checkpoint but no readable metadata was not left by a pruning
 * run as it stopped, and starts over. A run pruned otherwise than the config now asks is refused,
 * not started over: its folder is a finished pruning and a part of its recovery, which a
 * changed setting should not delete unasked.
 */
public final class PruneResume {
  private PruneResume() {}

  /** The files the prune job writes before its recovery's first step. */
  private static final List<String> PRUNING_FILES = List.of(MaskFiles.TORCH_FILE, MaskFiles.SAFETENSORS_FILE,
      PruningStats.FILE, ExperimentMetadata.FILE);

  /**
   * What to do with a pruning run that has a complete checkpoint: resume with {@code metadata},
   * or start over for {@code startOverReason} (its files are missing or incomplete).
   */
  public record Decision(ExperimentMetadata metadata, String startOverReason) {
    public boolean resumes() {
      return metadata != null;
    }
  }

  /**
   * Reads the run folder's files (the metadata, not the mask) and decides; nothing is written.
   *
   * @throws UserError when the metadata says the run was pruned otherwise than {@code p} asks
   */
  public static Decision decide(CheckpointStore store, ModelSource.Pretrained base, PruneConfig p,
      Configuration hadoop) throws IOException {
    List<String> entries = store.entries();
    for (String f : PRUNING_FILES) {
      if (!entries.contains(f)) return new Decision(null, "no " + f + " to resume its recovery with");
    }
    String where = store.location(ExperimentMetadata.FILE);
    ExperimentMetadata meta;
    try {
      meta = ExperimentMetadata.read(CheckpointStore.readFile(store.root(), ExperimentMetadata.FILE, hadoop), where);
    } catch (IOException unreadable) {
      return new Decision(null, "its " + ExperimentMetadata.FILE + " cannot be read: " + unreadable.getMessage());
    }
    if (meta.evalLossBefore() == null || meta.evalLossAfterPruning() == null) {
      return new Decision(null, "its " + ExperimentMetadata.FILE + " has no eval_loss_before_pruning or "
          + "eval_loss_after_pruning");
    }
    List<String> differences = differences(meta, base, p);
    if (!differences.isEmpty()) {
      throw new UserError(where + ": the run was pruned with " + String.join(", ", differences)
          + ": set the config back to resume its recovery from " + store.latest()
          + ", or start the run over (narrow prune --overwrite, or delete " + store.root() + ")");
    }
    return new Decision(meta, null);
  }

  /** Each setting the pruning was made with that the config now sets otherwise, with both values. */
  private static List<String> differences(ExperimentMetadata m, ModelSource.Pretrained base, PruneConfig p) {
    List<String> out = new ArrayList<>();
    differ(out, "model.pretrained's folder name", m.modelName(), base.name());
    differ(out, "prune.method", m.method(), p.method().toString());
    // a norm threshold sets no sparsity: the metadata records the fractions it pruned
    if (p.threshold() == null) {
      differ(out, "prune.neuron_sparsity", plain(m.neuronSparsity()), plain(p.neuronSparsity()));
      differ(out, "prune.residual_sparsity", plain(m.residualSparsity()), plain(p.residualSparsity()));
    }
    if (p.method() == PruneConfig.Method.RANDOM && m.method().equals("random")) {
      differ(out, "prune.seed", String.valueOf(m.seed()), String.valueOf(p.seed()));
      differ(out, "prune.with_replacement", String.valueOf(m.withReplacement()), String.valueOf(p.withReplacement()));
    }
    if (p.method() == PruneConfig.Method.ATTRIBUTION && m.method().equals("attribution")) {
      differ(out, "prune.samples", String.valueOf(m.samples()), String.valueOf(p.samples()));
      differ(out, "prune.batch_size", String.valueOf(m.batchSize()), String.valueOf(p.batchSize()));
    }
    return out;
  }

  private static void differ(List<String> out, String setting, String was, String now) {
    if (!was.equals(now)) out.add(setting + " " + was + " (the config now: " + now + ")");
  }

  /** As the config writes it ({@code 0.5}), not as Java prints a double. */
  private static String plain(double value) {
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }

  /**
   * Continues the run in {@code plan}'s folder: the mask read back and checked against the base
   * model, the recovery resumed from the newest complete checkpoint, then the finished metadata
   * written as a run from the start writes it (its training time is this session's, as
   * {@code training_resumed}). The mask files and the stats are not rewritten.
   *
   * @throws UserError when the folder cannot be resumed (the reason, and how to start over)
   */
  public static PruneJob.Outcome run(TrainingPlan plan, PruneConfig p, Path file, SparkAccess spark)
      throws IOException {
    if (!(plan.model() instanceof ModelSource.Pretrained base)) {
      throw new ConfigException(file + ": model.pretrained: narrow prune prunes a pretrained model, not a preset");
    }
    SharedPaths.check(spark.master(), plan);
    Configuration hadoop = spark.hadoopConfiguration();
    String outputDir = plan.args().outputDir();
    CheckpointStore store = CheckpointStore.open(outputDir, hadoop);
    String startOver = "start the run over with --overwrite (deletes everything in that folder)";
    if (store.latest() == null) {
      throw new UserError(outputDir + " has no complete checkpoint to resume the recovery from: " + startOver);
    }
    Decision d = decide(store, base, p, hadoop);
    if (!d.resumes()) throw new UserError("cannot resume the pruning run in " + outputDir + ": " + d.startOverReason()
        + "; " + startOver);
    PruningMask mask;
    try {
      mask = readMask(outputDir, hadoop);
      checkCovers(mask, base.readConfig(hadoop), store.location(MaskFiles.SAFETENSORS_FILE), base.location());
    } catch (IOException | IllegalArgumentException damaged) {
      throw new UserError("cannot resume the pruning run in " + outputDir + ": " + damaged.getMessage() + "; "
          + startOver, damaged);
    }
    System.out.printf("prune: resuming the recovery of %s, pruned (%s) with eval_loss %.4f before, %.4f after "
        + "pruning%n", outputDir, d.metadata().method(), d.metadata().evalLossBefore(), d.metadata().evalLossAfterPruning());
    long start = System.nanoTime();
    TrainResult r = PruneJob.recover(plan, p, mask, d.metadata().evalLossBefore(), true, spark);
    Double finalLoss = PruneJob.finalEvalLoss(r);
    ExperimentMetadata done = d.metadata().finished(finalLoss, "training_resumed", PruneJob.seconds(start));
    store.writeFile(ExperimentMetadata.FILE, done.toBytes());
    PruneJob.printRecovery(r, finalLoss);
    return new PruneJob.Outcome(null, done, r);
  }

  /** The mask file as local bytes: read where it is, or downloaded (a remote run folder) and then deleted. */
  private static PruningMask readMask(String outputDir, Configuration hadoop) throws IOException {
    if (!Locations.isRemote(outputDir)) return MaskFiles.readSafetensors(Path.of(outputDir, MaskFiles.SAFETENSORS_FILE));
    Path tmp = Files.createTempDirectory("narrow-mask-");
    try {
      org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path(Locations.hadoopPath(outputDir),
          MaskFiles.SAFETENSORS_FILE);
      Path local = tmp.resolve(MaskFiles.SAFETENSORS_FILE);
      ObjectStores.fileSystem(remote, outputDir, hadoop).copyToLocalFile(false, remote,
          new org.apache.hadoop.fs.Path(local.toUri()), true); // raw: no .crc file
      return MaskFiles.readSafetensors(local);
    } finally {
      LocalFolders.deleteRecursively(tmp);
    }
  }

  /** The mask must name the base model's parameters with their shapes, in its order: it was made for it. */
  static void checkCovers(PruningMask mask, LlamaConfig model, String maskFile, String baseModel) throws IOException {
    Map<String, long[]> want = LlamaForCausalLM.parameterShapes(model);
    Map<String, long[]> have = new LinkedHashMap<>();
    for (MaskedParameter m : mask.parameters()) have.put(m.name(), m.shape());
    boolean same = List.copyOf(want.keySet()).equals(List.copyOf(have.keySet()))
        && want.keySet().stream().allMatch(n -> Arrays.equals(want.get(n), have.get(n)));
    if (!same) {
      throw new IOException(maskFile + " is not a mask of " + baseModel + " (its " + have.size()
          + " tensors do not match the model's " + want.size() + " parameters and shapes)");
    }
  }
}
