package narrow.train;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import narrow.engine.Autocast;
import narrow.engine.Autograd;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.engine.Torch;
import narrow.model.CausalLmLoss;
import narrow.model.ComputeDevice;
import narrow.model.LlamaConfig;
import narrow.model.LlamaForCausalLM;
import narrow.model.LlamaWeights;
import narrow.util.Locations;
import narrow.util.Progress;
import narrow.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.bytedeco.pytorch.Tensor;

/**
 * Hugging Face Trainer semantics on one machine: AdamW, warmup then the schedule, gradient
 * accumulation (each micro-batch's mean loss divided by the accumulation count), global-norm
 * clipping, logging/eval/save by step, rotating checkpoints, exact resume, and {@code bf16}
 * mixed precision (forward under autocast; weights, gradients, optimizer state and loss float32).
 *
 * <pre>{@code TrainResult r = Trainer.train(TrainRun.of(new ModelSource.Preset("d256_l4_h4", 42), dataset, args));}</pre>
 */
public final class Trainer implements AutoCloseable {
  public static final String FINAL_MODEL = "final_model";

  private final TrainRun run;
  private final TrainingArguments args;
  private final CheckpointStore store;
  private final Device device;
  private final boolean bf16;
  private final Replicas replicas;
  private final GradientSync sync;
  private final StepTimings.Clock clock = new StepTimings.Clock();
  private final LlamaForCausalLM model;
  private final Map<String, Tensor> params;
  private final AdamW optimizer;
  private final LrSchedule schedule;
  private final narrow.data.TokenizedDataset dataset;
  private final TrainingRows order;
  private final List<narrow.data.RowGroup> validation;
  private final LlamaWeights<Tensor> weights;
  private final Objective objective;
  private final long padId;
  private final long nonEmbeddingParams;
  private final byte[] tokenizer; // tokenizer.json for every checkpoint, or null
  private final TrainerState state;
  private final TrainingLog log;
  private long microBatchesConsumed;
  private long tokensSeen;
  private TrainingPosition restored; // set while resuming, until the log exists
  private String lastCheckpoint;
  private double lastStepLoss = Double.NaN;
  private double lastGradNorm;

  private Trainer(TrainRun run) throws IOException {
    this.run = run;
    this.device = ComputeDevice.fromSetting(run.device());
    this.bf16 = run.args().bf16On(device);
    // as resolved: training_args.json and .bin say what the run did, not "unset"
    this.args = run.args().with("bf16", bf16);
    this.replicas = run.replicas();
    Torch.setThreads(run.effectiveThreads());
    if (args.tf32() != null) Torch.allowTf32(args.tf32());
    LlamaForCausalLM loaded = null;
    AdamW adamW = null;
    GradientSync opened = null;
    CheckpointStore.LocalCopy resumeFrom = null;
    boolean ok = false;
    try {
      Configuration hadoop = run.hadoopOrDefault();
      this.store = CheckpointStore.open(args.outputDir(), hadoop);
      this.dataset = narrow.data.TokenizedDataset.open(Locations.hadoopPath(run.dataset()), hadoop);
      // the global micro-batch: the same rows whatever the replica count, each replica its slice
      this.order = new TrainingRows(dataset, "train", args.maxLength(), args.seed(),
          args.perDeviceTrainBatchSize() * replicas.size(), args.shuffleBufferRows(), args.skipTrainRows());
      this.validation = args.evalSteps() > 0 ? dataset.rowGroups("validation") : List.of();
      if (args.evalSteps() > 0 && validation.isEmpty()) {
        throw new UserError("tokenized dataset " + dataset.root() + " has no shards in its validation split "
            + "(data.validation_fraction 0, or a corpus too small); set train.eval_steps: 0 to train without one");
      }
      // a remote checkpoint is downloaded for the time it takes to load it
      if (run.resumeFrom() != null) resumeFrom = CheckpointStore.fetch(run.resumeFrom(), hadoop);
      this.model = loaded = loadModel(run, resumeFrom, device);
      this.params = model.parameters();
      this.weights = model.weights();
      this.objective = run.hooks().objective();
      objective.prepare(new Objective.Context(hadoop, device, bf16));
      Autograd.requireGradients(params.values());
      this.nonEmbeddingParams = model.nonEmbeddingParameterCount();
      this.padId = model.config().padId();
      this.optimizer = adamW = new AdamW(args.adamWSettings(), AdamW.hfDecays());
      this.schedule = args.schedule();
      this.tokenizer = tokenizerJson(run, dataset);
      long updatesPerEpoch = Math.max(1, order.batchesPerEpoch() / args.gradientAccumulationSteps());
      if (run.resumeFrom() != null) {
        this.state = Checkpoints.restore(resumeFrom.dir(), run.resumeFrom(), this::restorePosition, optimizer,
            device);
        this.lastCheckpoint = run.resumeFrom();
      } else {
        this.state = TrainerState.start(args, (args.maxSteps() + updatesPerEpoch - 1) / updatesPerEpoch);
      }
      this.log = new TrainingLog(state, run.console());
      if (restored != null) log.restore(restored);
      // replicas start from the leader's weights, never from reproducing a random stream
      replicas.copyFromLeader(List.copyOf(params.values()));
      if (run.hooks().mask() != null) {
        try (Autograd.Scope noGrad = Autograd.noGrad()) {
          run.hooks().mask().apply(params);
        }
      }
      this.sync = opened = replicas.gradientSync(params);
      ok = true;
    } finally {
      if (resumeFrom != null) resumeFrom.close();
      if (!ok) {
        if (opened != null) opened.close();
        if (adamW != null) adamW.close();
        if (loaded != null) loaded.close();
        run.hooks().objective().close(); // the trainer owns it from open on, as close() says
      }
    }
  }

  /** Trains as the run says and writes checkpoints and {@code final_model/} under output_dir. */
  public static TrainResult train(TrainRun run) throws IOException {
    try (Trainer t = open(run)) {
      return t.run();
    }
  }

  /** Loads the model and data (and the checkpoint when resuming) without training: for step-by-step use. */
  public static Trainer open(TrainRun run) throws IOException {
    return new Trainer(run);
  }

  /** One optimizer step with its logging, evaluation and saving, as {@link #run()} does it. */
  public StepStats step() throws IOException {
    if (state.globalStep >= args.maxSteps()) throw new IllegalStateException("max_steps reached");
    long t0 = System.nanoTime();
    StepMetrics m = trainStep();
    StepStats stats = new StepStats(state.globalStep, lastStepLoss, lastGradNorm,
        schedule.lr(state.globalStep - 1), m.realTokens(), m.paddedTokens(), (System.nanoTime() - t0) / 1e9);
    afterStep();
    return stats;
  }

  /**
   * @param learningRate the rate this step's update used
   * @param realTokens non-pad tokens; {@code paddedTokens} counts the batch cells
   */
  public record StepStats(long step, double loss, double gradNorm, double learningRate, long realTokens,
      long paddedTokens, double seconds) {}

  /** Where this session's steps so far spent their time. */
  public StepTimings timings() {
    return clock.total();
  }

  public LlamaForCausalLM model() {
    return model;
  }

  public TrainerState state() {
    return state;
  }

  /** Whether this run's forward passes run under bf16 autocast. */
  public boolean bf16() {
    return bf16;
  }

  private static LlamaForCausalLM loadModel(TrainRun run, CheckpointStore.LocalCopy resumeFrom, Device device)
      throws IOException {
    if (resumeFrom != null) return LlamaForCausalLM.load(resumeFrom.dir(), device);
    if (run.model() instanceof ModelSource.Preset p) {
      return LlamaForCausalLM.init(LlamaConfig.preset(p.name()), p.seed(), device);
    }
    if (run.model() instanceof ModelSource.Fresh f) return LlamaForCausalLM.init(f.config(), f.seed(), device);
    try (CheckpointStore.LocalCopy base = CheckpointStore.fetchModel(((ModelSource.Pretrained) run.model()).location(),
        run.hadoopOrDefault())) {
      return LlamaForCausalLM.load(base.dir(), device);
    }
  }

  /** The run's tokenizer.json, else one beside the dataset's shards (local or remote), else null. */
  private static byte[] tokenizerJson(TrainRun run, narrow.data.TokenizedDataset dataset) throws IOException {
    if (run.tokenizer() != null) {
      if (!Files.isRegularFile(run.tokenizer())) throw new UserError("tokenizer file not found: " + run.tokenizer());
      return Files.readAllBytes(run.tokenizer());
    }
    return dataset.sideFile(Checkpoints.TOKENIZER_FILE).orElse(null);
  }

  /** Trains to max_steps, then writes {@code final_model/}. */
  public TrainResult run() throws IOException {
    long startStep = state.globalStep;
    long sessionTokens = 0;
    long start = System.nanoTime();
    Progress progress = new Progress("train", "steps", args.maxSteps() - startStep,
        java.time.Duration.ofSeconds(10), run.console());
    if (startStep == 0 && run.resumeFrom() == null) {
      for (Map<String, Object> e : run.hooks().startLog()) state.logHistory.add(new LinkedHashMap<>(e));
      if (run.hooks().evaluateAtStart() && args.evalSteps() > 0) evaluateAndLog();
    }
    while (state.globalStep < args.maxSteps()) {
      StepStats stats = step();
      run.onStep().accept(stats);
      sessionTokens += stats.realTokens();
      double seconds = (System.nanoTime() - start) / 1e9;
      progress.advance(1, String.format(Locale.ROOT, "step %d, loss %.4f, %.0f tokens/s",
          state.globalStep, lastStepLoss, sessionTokens / Math.max(seconds, 1e-9)));
    }
    double runtime = (System.nanoTime() - start) / 1e9;
    // rows per optimizer step over all replicas, as HF's total_train_batch_size
    log.logEnd(state.globalStep - startStep, runtime,
        (long) args.perDeviceTrainBatchSize() * args.gradientAccumulationSteps() * replicas.size());
    String finalModel = store.location(FINAL_MODEL);
    if (replicas.isLeader()) Checkpoints.writeModelFolder(store, FINAL_MODEL, model, tokenizer, state, args);
    progress.finish(String.format(Locale.ROOT, "last step's loss %.4f, %.0f tokens/s", lastStepLoss,
        sessionTokens / runtime));
    return new TrainResult(state.globalStep, log.trainLoss(), finalModel, state, runtime, sessionTokens / runtime,
        clock.total());
  }

  /**
   * One optimizer step over gradient_accumulation_steps micro-batches, this replica's slice of
   * each, as nanoGPT's loop reads: forward, loss and backward per micro-batch; the gradients
   * averaged over the replicas with the step's metrics; the objective's step term; clipping; the
   * update.
   */
  private StepMetrics trainStep() {
    int accum = args.gradientAccumulationSteps();
    long step = state.globalStep + 1; // 1-based, as logged
    Map<String, Double> losses = new LinkedHashMap<>();
    long nonFinite = 0;
    long tokens = 0;
    long padded = 0;
    StepMetrics metrics;
    try (TensorScope stepScope = new TensorScope()) {
      for (int micro = 0; micro < accum; micro++) {
        Batch batch = nextBatch();
        if (!microBatch(batch, step, micro == accum - 1, losses)) nonFinite++;
        tokens += batch.realTokens();
        padded += (long) batch.rows() * batch.cols();
      }
      Map<String, Tensor> grads = gradients();
      long t2 = System.nanoTime();
      sync.afterLastBackward(List.copyOf(grads.values()));
      long t3 = System.nanoTime();
      clock.gradientSync(t3 - t2);
      metrics = new StepMetrics(losses, nonFinite, tokens, padded).reduce(replicas);
      if (metrics.nonFinite() > 0) throw new TrainingDivergedException(step, "loss", metrics.loss(), lastCheckpoint);
      Objective.StepTerm term = objective.afterBackward(weights, LlamaWeights.of(model.config(), grads),
          metrics.losses(), step);
      double total = metrics.loss() + term.addedLoss();
      if (!Double.isFinite(total)) throw new TrainingDivergedException(step, "loss", total, lastCheckpoint);
      Map<String, Double> logged = new LinkedHashMap<>(metrics.losses());
      logged.put("loss", total);
      logged.putAll(term.averaged());
      log.addStep(logged, term.latest());
      if (run.hooks().gradientHook() != null) run.hooks().gradientHook().afterBackward(grads, state.globalStep);
      double norm = GradientClipping.clip(grads.values(), args.maxGradNorm());
      if (!Double.isFinite(norm)) throw new TrainingDivergedException(step, "gradient norm", norm, lastCheckpoint);
      optimizer.step(params, grads, schedule.lr(state.globalStep));
      Autograd.zeroGradients(params.values());
      applyMask();
      clock.optimizer(System.nanoTime() - t3);
      lastGradNorm = norm;
      lastStepLoss = total;
    }
    tokensSeen += metrics.paddedTokens();
    state.totalFlos += 6.0 * nonEmbeddingParams * metrics.paddedTokens();
    state.globalStep = step;
    state.epoch = microBatchesConsumed / (double) order.batchesPerEpoch();
    state.numInputTokensSeen = tokensSeen;
    if (replicas.size() > 1 && replicas.checkEvery() > 0 && step % replicas.checkEvery() == 0) {
      ReplicaConsistency.verify(step, params, replicas);
    }
    return metrics;
  }

  /** This replica's rows of the next global micro-batch. */
  private Batch nextBatch() {
    int perReplica = args.perDeviceTrainBatchSize();
    List<int[]> seqs = order.slice(microBatchesConsumed, replicas.rank() * perReplica,
        (replicas.rank() + 1) * perReplica);
    microBatchesConsumed++;
    return Batch.collate(seqs, padId);
  }

  /**
   * Forward, the objective's loss and backward of one micro-batch; adds its loss and parts
   * (divided by the accumulation count) to {@code losses}. Backward runs even on a non-finite
   * loss, so that the replicas stay in step; returns whether the loss was finite.
   */
  private boolean microBatch(Batch batch, long step, boolean last, Map<String, Double> losses) {
    int accum = args.gradientAccumulationSteps();
    try (TensorScope microScope = new TensorScope()) {
      Tensor ids = Tensors.longs(batch.inputIds(), device, batch.rows(), batch.cols());
      Tensor labels = Tensors.longs(batch.labels(), device, batch.rows(), batch.cols());
      try (Autograd.Recording rec = Autograd.record()) {
        long t0 = System.nanoTime();
        Tensor logits;
        Objective.LogitsLoss loss;
        try (Autocast autocast = Autocast.bf16If(bf16, device)) {
          logits = model.logits(ids);
          // HF's loss / accumulation steps, its gradient computed with it
          loss = objective.microBatchLoss(new Objective.MicroBatch(ids, labels, logits, 1.0 / accum, step));
        }
        double value = Tensors.value(loss.loss());
        if (last) sync.beforeLastBackward(List.of(logits));
        // the loss came with its gradient: the logits' values are read no more, and the backward
        // needs only their graph and shape, so their [tokens x V] memory goes before it, not after
        // (unless an objective wrote the gradient over them)
        if (!loss.logitsGradient().is_alias_of(logits)) Tensors.releaseStorage(logits);
        long t1 = System.nanoTime();
        clock.forward(t1 - t0);
        rec.backward(List.of(logits), List.of(loss.logitsGradient()));
        clock.backward(System.nanoTime() - t1, last);
        losses.merge("loss", value / accum, Double::sum);
        for (Map.Entry<String, Tensor> e : loss.parts().entrySet()) {
          losses.merge(e.getKey(), Tensors.value(e.getValue()) / accum, Double::sum);
        }
        return Double.isFinite(value);
      }
    }
  }

  private void applyMask() {
    if (run.hooks().mask() == null) return;
    try (Autograd.Scope noGrad = Autograd.noGrad()) {
      run.hooks().mask().apply(params);
    }
  }

  /** Parameters without a gradient (unused by the loss) are left out, as torch's grad None. */
  private Map<String, Tensor> gradients() {
    Map<String, Tensor> grads = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : params.entrySet()) {
      Tensor g = Autograd.gradient(e.getValue());
      if (g != null) grads.put(e.getKey(), g);
    }
    return grads;
  }

  /** HF's order at the end of a step: log, then evaluate, then save. */
  private void afterStep() throws IOException {
    long step = state.globalStep;
    boolean last = step == args.maxSteps();
    if (args.loggingSteps() > 0 && step % args.loggingSteps() == 0) {
      log.logWindow(lastGradNorm, schedule.lr(step), args.maxSteps(), objective.logged(weights));
    }
    if (args.evalSteps() > 0 && (step % args.evalSteps() == 0)) evaluateAndLog();
    if (args.saveSteps() > 0 && step % args.saveSteps() == 0) {
      if (replicas.isLeader()) {
        Checkpoints.save(store, step, model, optimizer, tokenizer, state, args, position(), last);
        store.rotate(args.saveTotalLimit());
      }
      lastCheckpoint = store.location(Checkpoints.checkpointName(step));
    }
  }

  private void evaluateAndLog() {
    long start = System.nanoTime();
    Evaluator.Evaluation e = Evaluator.evaluate(model, Evaluator.validationRows(dataset, validation, args),
        args.perDeviceEvalBatchSize(), bf16, replicas, objective);
    log.logEvaluation(e, (System.nanoTime() - start) / 1e9);
  }

  private TrainingPosition position() {
    return new TrainingPosition(state.globalStep, microBatchesConsumed, args.seed(), order.rows(),
        globalMicroBatch(), args.gradientAccumulationSteps(), log.windowStartStep(), log.windowSums(),
        log.trainLossSum(), tokensSeen, state.totalFlos, objective.state());
  }

  /** Checks that the checkpoint's data order is this run's; the log takes its part once it exists. */
  private void restorePosition(TrainingPosition p) {
    if (p.seed() != args.seed() || p.trainRows() != order.rows()
        || p.microBatchSize() != globalMicroBatch()
        || p.gradientAccumulationSteps() != args.gradientAccumulationSteps()) {
      throw new UserError("cannot resume exactly: the checkpoint was trained with seed "
          + p.seed() + ", " + p.trainRows() + " rows, batch " + p.microBatchSize() + " x accumulation "
          + p.gradientAccumulationSteps() + "; this run has seed " + args.seed() + ", " + order.rows()
          + " rows, batch " + globalMicroBatch() + " x " + args.gradientAccumulationSteps()
          + " (the batch is per_device_train_batch_size x replicas; a run may resume with another "
          + "replica count when that product is the same)");
    }
    microBatchesConsumed = p.microBatchesConsumed();
    tokensSeen = p.tokensSeen();
    objective.restore(p.objectiveState() == null ? Map.of() : p.objectiveState());
    restored = p;
  }

  /** Rows per global micro-batch: what the data order and a checkpoint's position count in. */
  private int globalMicroBatch() {
    return args.perDeviceTrainBatchSize() * replicas.size();
  }

  @Override
  public void close() {
    objective.close();
    sync.close();
    optimizer.close();
    model.close();
  }
}
