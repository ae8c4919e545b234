package narrow.distributed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import narrow.config.ConfigException;
import narrow.config.DistributedConfig;
import narrow.config.TrainingPlan;
import narrow.model.ComputeDevice;
import narrow.model.LlamaConfig;
import narrow.model.ModelStats;
import narrow.data.TokenizeManifest;
import narrow.data.TokenizedDataset;
import narrow.distill.DistillMetadata;
import narrow.distill.DistillSettings;
import narrow.train.TokenizerCheck;
import narrow.sparsity.SparsityMetadata;
import narrow.sparsity.SparsitySettings;
import narrow.util.Versions;
import narrow.train.CheckpointStore;
import narrow.train.ModelSource;
import narrow.train.ResumeCheck;
import narrow.train.RunFolder;
import narrow.train.TrainResult;
import narrow.train.TrainRun;
import narrow.train.Trainer;
import narrow.train.TrainingArguments;
import narrow.util.CompleteFolder;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * One training run of an experiment, as {@code narrow train} and the pipelines that end in
 * training (pruning's recovery, the quickstart) run it: the run's folder made ready, the resume
 * checked, {@code model_stats.json} written, then the trainer in this JVM or the replicas on a
 * Spark barrier stage.
 */
public final class TrainingJob {
  private TrainingJob() {}

  /**
   * One run: in this JVM, or as Spark barrier tasks (the Spark session of {@code --spark-conf}, or
   * spark-submit's) where {@link Placement#onExecutors} says so, with training hooks (a pruning
   * mask) built per replica by {@code hooks}; a run in this JVM is replica 0. Remote data and
   * output_dir are reached with the Spark properties' {@code spark.hadoop.*} settings either way.
   * Local paths the executors of a cluster cannot see are refused first ({@link SharedPaths}).
   *
   * @param resume a checkpoint folder, "latest", or null
   * @param start what to do with a run already in the run's folder ({@link RunFolder}); null
   *     when the caller has made the folder ready (prune writes its mask there first)
   */
  public static TrainResult run(TrainingPlan plan, String resume, RunFolder.Start start, SparkAccess spark,
      ReplicaHooks hooks) throws IOException {
    String master = spark.master();
    SharedPaths.check(master, plan);
    if (!Placement.onExecutors(master, plan.distributed().replicas())) {
      return train(plan, resume, start, spark.hadoopConfiguration(), null, hooks);
    }
    SparkSession session = spark.session("narrow train " + plan.run());
    try {
      return train(plan, resume, start, session.sparkContext().hadoopConfiguration(), session, hooks);
    } finally {
      spark.release(session);
    }
  }

  private static TrainResult train(TrainingPlan plan, String resume, RunFolder.Start start, Configuration hadoop,
      SparkSession session, ReplicaHooks hooks) throws IOException {
    CheckpointStore runDir = CheckpointStore.open(plan.args().outputDir(), hadoop);
    if (start != null) RunFolder.prepare(runDir, start, "train", true);
    try {
      return train(plan, resume, runDir, hadoop, session, hooks);
    } catch (IOException | RuntimeException | Error e) {
      if (start == RunFolder.Start.FRESH || start == RunFolder.Start.OVERWRITE) {
        try {
          RunFolder.removeIfNothingSaved(runDir);
        } catch (IOException | RuntimeException cleanup) {
          e.addSuppressed(cleanup);
        }
      }
      throw e;
    }
  }

  /** The run in its folder, made ready. */
  private static TrainResult train(TrainingPlan plan, String resume, CheckpointStore runDir, Configuration hadoop,
      SparkSession session, ReplicaHooks hooks) throws IOException {
    DistributedConfig d = plan.distributed();
    String resumeFrom = resume == null ? null : checkpointToResume(runDir, resume);
    LlamaConfig model = modelConfig(plan, hadoop);
    if (resumeFrom != null) {
      ResumeCheck.check(resumeFrom, model, modelSetting(plan), argsAsResolved(plan, session != null), hadoop);
      System.err.println("narrow train: resuming from " + resumeFrom);
    }
    writeModelStats(model, plan, runDir);
    if (plan.sparsity() != null) {
      runDir.writeFile(SparsityMetadata.FILE, SparsityMetadata.json(plan.sparsity(), modelSetting(plan),
          TokenizeManifest.sha256(plan.dataset(), hadoop), Versions.of()).getBytes(StandardCharsets.UTF_8));
      hooks = withPenalty(hooks, plan.sparsity());
    }
    if (plan.distill() != null) {
      checkTeacher(plan, model, hadoop);
      DistillSettings distill = plan.distill();
      runDir.writeFile(DistillMetadata.FILE, DistillMetadata.json(distill, modelSetting(plan),
          TokenizeManifest.sha256(plan.dataset(), hadoop), Versions.of()).getBytes(StandardCharsets.UTF_8));
      ReplicaHooks plain = hooks;
      hooks = (rank, attempt) -> plain.create(rank, attempt).withObjective(distill.objective());
    }
    TrainRun run = TrainRun.of(plan.spec()).withHadoop(hadoop);
    if (resumeFrom != null) run = run.resumingFrom(resumeFrom);
    if (session == null) return Trainer.train(run.withHooks(hooks.create(0, 0)));
    return DistributedTraining.train(JavaSparkContext.fromSparkContext(session.sparkContext()), run,
        d,
        hooks);
  }

  /**
   * The teacher must exist, be a model this trainer runs and share the student's and the data's
   * tokenizer: checked here, before any replica starts (the teacher's headers only).
   */
  private static void checkTeacher(TrainingPlan plan, LlamaConfig student, Configuration hadoop) throws IOException {
    String teacher = plan.distill().teacher();
    LlamaConfig t = new ModelSource.Pretrained(teacher).readConfig(hadoop);
    TokenizerCheck.sameTokenizer(student, modelSetting(plan), t, "distill.teacher " + teacher);
    TokenizedDataset.open(plan.dataset(), hadoop).manifest()
        .ifPresent(m -> TokenizerCheck.check(t, m.tokenizer(), "distill.teacher " + teacher, plan.dataset()));
  }

  /** Each replica's hooks with the penalty added to its loss (built on the executor: it holds state). */
  private static ReplicaHooks withPenalty(ReplicaHooks hooks, SparsitySettings sparsity) {
    return (rank, attempt) -> hooks.create(rank, attempt).withObjective(sparsity.objective());
  }

  /** The config's model: a preset's, or the pretrained folder's config.json. */
  private static LlamaConfig modelConfig(TrainingPlan plan, Configuration hadoop) throws IOException {
    return plan.model() instanceof ModelSource.Preset p
        ? LlamaConfig.preset(p.name())
        : ((ModelSource.Pretrained) plan.model()).readConfig(hadoop);
  }

  private static String modelSetting(TrainingPlan plan) {
    return plan.model() instanceof ModelSource.Preset p
        ? "model.preset " + p.name()
        : "model.pretrained " + ((ModelSource.Pretrained) plan.model()).location();
  }

  /**
   * The arguments with bf16 as the run will resolve it where that is known here: set in the
   * config, or a run in this JVM (replicas on executors run where their executors' devices are).
   */
  private static TrainingArguments argsAsResolved(TrainingPlan plan, boolean onExecutors) {
    TrainingArguments args = plan.args();
    if (args.bf16() != null || onExecutors) return args;
    return args.with("bf16", args.bf16On(ComputeDevice.fromSetting(plan.device())));
  }

  /**
   * The study keeps model_stats.json beside each size's checkpoints; narrow adds where the model
   * came from and over how many replicas it trained, which no other file of the run holds.
   */
  private static void writeModelStats(LlamaConfig config, TrainingPlan plan, CheckpointStore runDir) throws IOException {
    String preset = plan.model() instanceof ModelSource.Preset p ? p.name() : null;
    String base = plan.model() instanceof ModelSource.Pretrained p ? p.location() : null;
    String text = ModelStats.of(config).jsonText(preset, base, plan.distributed().replicas());
    runDir.writeFile(RunFolder.MODEL_STATS, text.getBytes(StandardCharsets.UTF_8));
  }

  /** A checkpoint folder as given, or with "latest" the run's newest complete one. */
  private static String checkpointToResume(CheckpointStore runDir, String resume) throws IOException {
    if (!resume.equals("latest")) return resume;
    String latest = runDir.latest();
    if (latest == null) {
      throw new ConfigException("--resume: no complete checkpoint-N folder under " + runDir.root()
          + " (one without its " + CompleteFolder.MARKER + " marker is incomplete and never resumed from); "
          + "start the run again with --overwrite");
    }
    return latest;
  }
}
