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
  private final long padId;
  private final long nonEmbeddingParams;
  private final byte[] tokenizer; // tokenizer.json for every checkpoint, or null
  private final TrainerState state;
  private long microBatchesConsumed;
  private long windowStartStep;
  private Map<String, Double> windowSums = new LinkedHashMap<>();
  private double trainLossSum;
  private long tokensSeen;
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
      Autograd.requireGradients(params.values());
      this.nonEmbeddingParams = countNonEmbedding(params);
      LlamaConfig cfg = model.config();
      this.padId = padId(cfg);
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
    long[] tokens = trainStep();
    StepStats stats = new StepStats(state.globalStep, lastStepLoss, lastGradNorm,
        schedule.lr(state.globalStep - 1), tokens[0], tokens[1], (System.nanoTime() - t0) / 1e9);
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

  /** HF's pad handling: pad_token_id, else eos (the study's configs set pad = eos), else 0. */
  public static long padId(LlamaConfig cfg) {
    if (cfg.padTokenId() != null) return cfg.padTokenId();
    if (cfg.eosTokenId() != null) return cfg.eosTokenId();
    return 0;
  }

  /** HF's {@code num_parameters(exclude_embeddings=True)}: every parameter but the token embedding. */
  static long countNonEmbedding(Map<String, Tensor> params) {
    long n = 0;
    for (Map.Entry<String, Tensor> e : params.entrySet()) {
      if (!e.getKey().endsWith("embed_tokens.weight")) n += Tensors.numel(e.getValue());
    }
    return n;
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
      sessionTokens += stats.realTokens();
      double seconds = (System.nanoTime() - start) / 1e9;
      progress.advance(1, String.format(Locale.ROOT, "step %d, loss %.4f, %.0f tokens/s",
          state.globalStep, lastStepLoss, sessionTokens / Math.max(seconds, 1e-9)));
    }
    double runtime = (System.nanoTime() - start) / 1e9;
    long steps = state.globalStep - startStep;
    Map<String, Object> last = new LinkedHashMap<>();
    last.put("epoch", state.epoch);
    last.put("step", state.globalStep);
    last.put("total_flos", state.totalFlos);
    last.put("train_loss", trainLossSum / Math.max(1, state.globalStep));
    last.put("train_runtime", round4(runtime));
    last.put("train_samples_per_second",
        round3(steps * args.perDeviceTrainBatchSize() * args.gradientAccumulationSteps() / runtime));
    last.put("train_steps_per_second", round3(steps / runtime));
    state.logHistory.add(last);
    String finalModel = store.location(FINAL_MODEL);
    if (replicas.isLeader()) Checkpoints.writeModelFolder(store, FINAL_MODEL, model, tokenizer, state, args);
    progress.finish(String.format(Locale.ROOT, "last step's loss %.4f, %.0f tokens/s", lastStepLoss,
        sessionTokens / runtime));
    return new TrainResult(state.globalStep, trainLossSum / Math.max(1, state.globalStep), finalModel, state,
        runtime, sessionTokens / runtime, clock.total());
  }

  /**
   * One optimizer step over gradient_accumulation_steps micro-batches, this replica's slice of
   * each; returns the global {real, padded} tokens. Losses, token counts and a non-finite flag are
   * summed over the replicas with the gradients, so every replica sees the same numbers and stops
   * at the same step.
   */
  private long[] trainStep() {
    int accum = args.gradientAccumulationSteps();
    int perReplica = args.perDeviceTrainBatchSize();
    long step = state.globalStep + 1; // 1-based, as logged
    Map<String, Double> stepSums = new LinkedHashMap<>();
    double tokens = 0;
    double padded = 0;
    double nonFinite = 0;
    try (TensorScope stepScope = new TensorScope()) {
      for (int micro = 0; micro < accum; micro++) {
        boolean last = micro == accum - 1;
        List<int[]> seqs = order.slice(microBatchesConsumed, replicas.rank() * perReplica,
            (replicas.rank() + 1) * perReplica);
        Batch batch = Batch.collate(seqs, padId);
        try (TensorScope microScope = new TensorScope()) {
          Tensor ids = Tensors.longs(batch.inputIds(), device, batch.rows(), batch.cols());
          Tensor labels = Tensors.longs(batch.labels(), device, batch.rows(), batch.cols());
          try (Autograd.Recording rec = Autograd.record()) {
            long t0 = System.nanoTime();
            Tensor total;
            Tensor dataLoss;
            Map<String, Tensor> extra = new LinkedHashMap<>();
            List<Tensor> outputs = new ArrayList<>();
            List<Tensor> seeds = new ArrayList<>();
            try (Autocast autocast = Autocast.bf16If(bf16, device)) {
              Tensor logits = model.logits(ids);
              // HF's loss / accumulation steps, its gradient computed with it
              CausalLmLoss.WithGradient data = CausalLmLoss.withGradient(logits, labels, 1.0 / accum);
              dataLoss = data.loss();
              outputs.add(logits);
              seeds.add(data.logitsGradient());
              Tensor terms = null;
              for (TrainingHooks.LossTerm term : run.hooks().lossTerms()) {
                Tensor t = term.compute(params, ids, labels, logits, dataLoss, state.globalStep);
                extra.put(term.name(), t);
                terms = terms == null ? t : terms.add(t);
              }
              total = terms == null ? dataLoss : dataLoss.add(terms);
              if (terms != null && Autograd.isRecorded(terms)) {
                outputs.add(terms);
                seeds.add(Autograd.Recording.seed(terms, 1.0 / accum));
              }
            }
            double totalValue = Tensors.value(total);
            // backward runs even on a non-finite loss, so that the replicas stay in step; the
            // summed flag stops them all below
            if (!Double.isFinite(totalValue)) nonFinite++;
            if (last) sync.beforeLastBackward(outputs);
            long t1 = System.nanoTime();
            clock.forward(t1 - t0);
            rec.backward(outputs, seeds);
            clock.backward(System.nanoTime() - t1, last);
            stepSums.merge("loss", totalValue / accum, Double::sum);
            for (Map.Entry<String, Tensor> e : extra.entrySet()) {
              stepSums.merge(e.getKey(), Tensors.value(e.getValue()) / accum, Double::sum);
            }
            if (!extra.isEmpty()) stepSums.merge("data_loss", Tensors.value(dataLoss) / accum, Double::sum);
          }
        }
        microBatchesConsumed++;
        tokens += batch.realTokens();
        padded += (long) batch.rows() * batch.cols();
      }
      Map<String, Tensor> grads = gradients();
      long t2 = System.nanoTime();
      sync.afterLastBackward(List.copyOf(grads.values()));
      long t3 = System.nanoTime();
      clock.gradientSync(t3 - t2);
      double[] global = replicas.sum(pack(stepSums, nonFinite, tokens, padded));
      unpack(global, stepSums);
      double globalLoss = stepSums.get("loss");
      if (global[global.length - 3] > 0) {
        throw new TrainingDivergedException(step, "loss", globalLoss, lastCheckpoint);
      }
      tokens = global[global.length - 2];
      padded = global[global.length - 1];
      if (run.hooks().gradientHook() != null) run.hooks().gradientHook().afterBackward(grads, state.globalStep);
      double norm = GradientClipping.clip(grads.values(), args.maxGradNorm());
      if (!Double.isFinite(norm)) throw new TrainingDivergedException(step, "gradient norm", norm, lastCheckpoint);
      optimizer.step(params, grads, schedule.lr(state.globalStep));
      Autograd.zeroGradients(params.values());
      if (run.hooks().mask() != null) {
        try (Autograd.Scope noGrad = Autograd.noGrad()) {
          run.hooks().mask().apply(params);
        }
      }
      clock.optimizer(System.nanoTime() - t3);
      lastGradNorm = norm;
    }
    tokensSeen += (long) padded;
    state.totalFlos += 6.0 * nonEmbeddingParams * padded;
    state.globalStep = step;
    state.epoch = microBatchesConsumed / (double) order.batchesPerEpoch();
    state.numInputTokensSeen = tokensSeen;
    lastStepLoss = stepSums.get("loss");
    trainLossSum += lastStepLoss;
    stepSums.forEach((k, v) -> windowSums.merge(k, v, Double::sum));
    if (replicas.size() > 1 && replicas.checkEvery() > 0 && step % replicas.checkEvery() == 0) {
      ReplicaConsistency.verify(step, params, replicas);
    }
    return new long[] {(long) tokens, (long) padded};
  }

  /** This replica's loss sums (in key order), then the flag and the token counts, to be summed. */
  private static double[] pack(Map<String, Double> sums, double nonFinite, double tokens, double padded) {
    double[] out = new double[sums.size() + 3];
    int i = 0;
    for (double v : sums.values()) out[i++] = v;
    out[i++] = nonFinite;
    out[i++] = tokens;
    out[i] = padded;
    return out;
  }

  /** The replicas' mean of each loss sum, back into {@code sums}. */
  private void unpack(double[] global, Map<String, Double> sums) {
    int i = 0;
    for (Map.Entry<String, Double> e : sums.entrySet()) e.setValue(global[i++] / replicas.size());
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
    if (args.loggingSteps() > 0 && step % args.loggingSteps() == 0) logWindow();
    if (args.evalSteps() > 0 && (step % args.evalSteps() == 0)) evaluateAndLog();
    if (args.saveSteps() > 0 && step % args.saveSteps() == 0) {
      if (replicas.isLeader()) {
        Checkpoints.save(store, step, model, optimizer, tokenizer, state, args, position(), last);
        store.rotate(args.saveTotalLimit());
      }
      lastCheckpoint = store.location(Checkpoints.checkpointName(step));
    }
  }

  private void logWindow() {
    long n = state.globalStep - windowStartStep;
    Map<String, Object> entry = new LinkedHashMap<>();
    // HF rounds to 4 digits; kept exact so resumed runs can be compared to 1e-6
    entry.put("loss", windowSums.getOrDefault("loss", 0.0) / n);
    for (Map.Entry<String, Double> e : windowSums.entrySet()) {
      if (!e.getKey().equals("loss")) entry.put(e.getKey(), e.getValue() / n);
    }
    entry.put("grad_norm", lastGradNorm);
    entry.put("learning_rate", schedule.lr(state.globalStep));
    entry.put("epoch", state.epoch);
    entry.put("step", state.globalStep);
    state.logHistory.add(entry);
    run.console().accept(String.format(Locale.ROOT, "step %d/%d: loss %.4f, grad_norm %.4f, lr %.3g, epoch %.3f",
        state.globalStep, args.maxSteps(), (double) entry.get("loss"), lastGradNorm,
        schedule.lr(state.globalStep), state.epoch));
    windowSums = new LinkedHashMap<>();
    windowStartStep = state.globalStep;
  }

  private void evaluateAndLog() {
    long start = System.nanoTime();
    long limit = args.maxEvalSamples() != null ? args.maxEvalSamples() : Long.MAX_VALUE;
    Evaluation e = evaluate(model, new SplitRows(dataset, validation, args.maxLength(), limit),
        args.perDeviceEvalBatchSize(), padId, bf16, replicas);
    double loss = e.loss();
    double seconds = (System.nanoTime() - start) / 1e9;
    long batches = e.batches();
    long rows = e.rows();
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("eval_loss", loss);
    entry.put("eval_runtime", round4(seconds));
    entry.put("eval_samples_per_second", round3(rows / seconds));
    entry.put("eval_steps_per_second", round3(batches / seconds));
    entry.put("epoch", state.epoch);
    entry.put("step", state.globalStep);
    state.logHistory.add(entry);
    run.console().accept(String.format(Locale.ROOT, "step %d: eval_loss %.4f (%d rows, %.1fs)",
        state.globalStep, loss, rows, seconds));
  }

  /**
   * Validation loss as HF's evaluation loop computes it: each batch's mean loss weighted by its
   * number of rows, batches in order, no gradients.
   */
  public static double evaluate(LlamaForCausalLM model, List<int[]> rows, int batchSize, long padId) {
    return evaluate(model, rows.iterator(), batchSize, padId, false, Replicas.single()).loss();
  }

  /**
   * The eval loss of {@code model} on the validation split of {@code dataset}, as training logs
   * it ({@code max_eval_samples}, {@code per_device_eval_batch_size}, {@code max_length} and the
   * bf16 setting of {@code args}): e.g. a base model's before and right after pruning.
   */
  public static double evaluateValidation(LlamaForCausalLM model, narrow.data.TokenizedDataset dataset,
      TrainingArguments args) throws IOException {
    List<narrow.data.RowGroup> validation = dataset.rowGroups("validation");
    if (validation.isEmpty()) {
      throw new UserError("tokenized dataset " + dataset.root() + " has no shards in its validation split");
    }
    long limit = args.maxEvalSamples() != null ? args.maxEvalSamples() : Long.MAX_VALUE;
    return evaluate(model, new SplitRows(dataset, validation, args.maxLength(), limit), args.perDeviceEvalBatchSize(),
        padId(model.config()), args.bf16On(model.device()), Replicas.single()).loss();
  }

  /** An evaluation's loss and how much it covered. */
  public record Evaluation(double loss, long rows, long batches) {}

  /**
   * Evaluation spread over replicas, streamed: batch i (rows in the order given) is evaluated by
   * replica i mod size; every replica reads the same rows and adds all batches' results in batch
   * order, so the result is the single-process one whatever the replica count. Under bf16
   * autocast when asked.
   */
  public static Evaluation evaluate(LlamaForCausalLM model, java.util.Iterator<int[]> rows, int batchSize,
      long padId, boolean bf16, Replicas replicas) {
    List<Double> weighted = new java.util.ArrayList<>();
    long count = 0;
    try (Autograd.Scope noGrad = Autograd.noGrad()) {
      while (rows.hasNext()) {
        List<int[]> part = new java.util.ArrayList<>(batchSize);
        while (part.size() < batchSize && rows.hasNext()) part.add(rows.next());
        int i = weighted.size();
        count += part.size();
        weighted.add(0.0);
        if (i % replicas.size() != replicas.rank()) continue;
        Batch b = Batch.collate(part, padId);
        try (TensorScope scope = new TensorScope();
            Autocast autocast = Autocast.bf16If(bf16, model.device())) {
          Tensor ids = Tensors.longs(b.inputIds(), model.device(), b.rows(), b.cols());
          Tensor labels = Tensors.longs(b.labels(), model.device(), b.rows(), b.cols());
          weighted.set(i, Tensors.value(CausalLmLoss.loss(model.logits(ids), labels)) * part.size());
        }
      }
    }
    if (count == 0) {
      throw new UserError("no validation rows to evaluate (the split is empty, or every row has fewer "
          + "than 2 ids); set train.eval_steps: 0 to train without evaluation");
    }
    double[] mine = new double[weighted.size()];
    for (int i = 0; i < mine.length; i++) mine[i] = weighted.get(i);
    double[] all = replicas.sum(mine); // each batch's value comes from one replica, zeros elsewhere
    double sum = 0;
    for (double v : all) sum += v;
    return new Evaluation(sum / count, count, all.length);
  }

  private TrainingPosition position() {
    return new TrainingPosition(state.globalStep, microBatchesConsumed, args.seed(), order.rows(),
        globalMicroBatch(), args.gradientAccumulationSteps(), windowStartStep,
        new LinkedHashMap<>(windowSums), trainLossSum, tokensSeen, state.totalFlos);
  }

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
    windowStartStep = p.windowStartStep();
    windowSums = new LinkedHashMap<>(p.windowSums());
    trainLossSum = p.trainLossSum();
    tokensSeen = p.tokensSeen();
  }

  /** Rows per global micro-batch: what the data order and a checkpoint's position count in. */
  private int globalMicroBatch() {
    return args.perDeviceTrainBatchSize() * replicas.size();
  }

  static double round4(double x) {
    return Math.round(x * 1e4) / 1e4;
  }

  static double round3(double x) {
    return Math.round(x * 1e3) / 1e3;
  }

  @Override
  public void close() {
    sync.close();
    optimizer.close();
    model.close();
  }
}
