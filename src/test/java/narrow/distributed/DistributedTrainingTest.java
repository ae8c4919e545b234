package narrow.distributed;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import narrow.config.DistributedConfig;
import narrow.engine.Device;
import narrow.engine.Ops;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.LlamaConfig;
import narrow.model.io.Safetensors;
import narrow.train.ModelSource;
import narrow.train.Objective;
import narrow.train.TrainResult;
import narrow.train.TrainRun;
import narrow.train.Trainer;
import narrow.train.TrainingArguments;
import narrow.train.TrainingDivergedException;
import narrow.train.TrainingHooks;
import narrow.util.UserError;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * N replicas on a Spark barrier stage (local[2,4]: two task slots, a failed task retried) train
 * exactly as one replica with N times the batch: the same logged losses and the same final weights.
 */
@narrow.Slow
class DistributedTrainingTest {
  static final int BOS = 318;
  static SparkSession spark;
  static JavaSparkContext jsc;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2,4]").appName("distributed-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  static LlamaConfig tiny() throws Exception {
    return LlamaConfig.read(narrow.model.Fixtures.model(narrow.model.Fixtures.UNTIED).resolve("config.json"));
  }

  static TrainingArguments args(Path out, long steps, int batch, int accumulation) {
    return TrainingArguments.defaults(out.toString()).with(Map.ofEntries(
        Map.entry("max_steps", steps), Map.entry("learning_rate", 3e-3), Map.entry("weight_decay", 0.01),
        Map.entry("warmup_steps", 3), Map.entry("lr_scheduler_type", "cosine"),
        Map.entry("per_device_train_batch_size", batch), Map.entry("per_device_eval_batch_size", 3),
        Map.entry("gradient_accumulation_steps", accumulation), Map.entry("logging_steps", 1),
        Map.entry("eval_steps", 10), Map.entry("save_steps", 5), Map.entry("seed", 7),
        Map.entry("max_length", 24), Map.entry("bf16", false)));
  }

  static DistributedConfig replicas(int n) {
    return new DistributedConfig(n, 60, 5, null, null, 0);
  }

  Path data() throws Exception {
    return narrow.train.TestShardsAccess.learnable(tmp.resolve("data"), 318, BOS, 24, true, 96, 10, 1);
  }

  @Test
  void twoReplicasOfBatchBEqualOneReplicaOfBatch2B() throws Exception {
    Path data = data();
    TrainResult one = Trainer.train(TrainRun.of(new ModelSource.Fresh(tiny(), 3), data, args(tmp.resolve("one"), 20, 4, 1))
        .withThreads(1));
    TrainResult two = DistributedTraining.train(jsc,
        TrainRun.of(new ModelSource.Fresh(tiny(), 3), data, args(tmp.resolve("two"), 20, 2, 1)), replicas(2),
        ReplicaHooks.none());
    assertSameRun(one, two, 1e-5);
    // HF's throughput counts the global batch: 20 steps of 4 rows, whatever the replicas
    for (TrainResult r : List.of(one, two)) {
      Map<String, Object> end = r.state().entriesWith("train_samples_per_second").get(0);
      double samples = ((Number) end.get("train_samples_per_second")).doubleValue()
          * ((Number) end.get("train_runtime")).doubleValue();
      assertEquals(80, samples, 2, "samples in " + end);
    }
  }

  /** Where the replica's hooks were built: in a Spark task or not (local mode: the same JVM as the test). */
  static final java.util.Queue<String> BUILT_IN = new java.util.concurrent.ConcurrentLinkedQueue<>();

  /** The executor path with one replica (what a cluster's master takes) trains as the driver does, in a task. */
  @Test
  void oneReplicaOnAnExecutorTrainsAsInTheDriver() throws Exception {
    Path data = data();
    TrainResult driver = Trainer.train(TrainRun.of(new ModelSource.Fresh(tiny(), 11), data,
        args(tmp.resolve("driver"), 10, 4, 1)).withThreads(1));
    BUILT_IN.clear();
    TrainResult executor = DistributedTraining.train(jsc,
        TrainRun.of(new ModelSource.Fresh(tiny(), 11), data, args(tmp.resolve("executor"), 10, 4, 1)), replicas(1),
        (rank, attempt) -> {
          org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
          BUILT_IN.add(task == null ? "no task" : "stage " + task.stageId() + " partition " + task.partitionId());
          return TrainingHooks.none();
        });
    assertEquals(1, BUILT_IN.size(), BUILT_IN.toString());
    assertTrue(BUILT_IN.peek().matches("stage \\d+ partition 0"), BUILT_IN.toString());
    assertSameRun(driver, executor, 0);
  }

  /**
   * The run's tokenizer.json is a file on the driver's machine (narrow's cache): the replicas get
   * its bytes from the driver, so an executor without that file still writes it into checkpoints.
   * Here the file is deleted as each replica starts, before it builds its trainer.
   */
  @Test
  void theReplicasGetTheTokenizerFromTheDriverNotFromTheirOwnDisk() throws Exception {
    Path tokenizer = tmp.resolve("driver-only/tokenizer.json");
    java.nio.file.Files.createDirectories(tokenizer.getParent());
    java.nio.file.Files.writeString(tokenizer, "{\"model\": {\"type\": \"BPE\"}, \"note\": \"the driver's copy\"}");
    byte[] bytes = java.nio.file.Files.readAllBytes(tokenizer);
    String path = tokenizer.toString();
    TrainResult r = DistributedTraining.train(jsc,
        TrainRun.of(new ModelSource.Fresh(tiny(), 13), data(), args(tmp.resolve("tokenizer"), 2, 2, 1))
            .withTokenizer(tokenizer), replicas(2),
        (rank, attempt) -> {
          new java.io.File(path).delete(); // as on an executor of another machine
          return TrainingHooks.none();
        });
    assertFalse(java.nio.file.Files.exists(tokenizer), "the replicas ran without the driver's file");
    assertArrayEquals(bytes, java.nio.file.Files.readAllBytes(Path.of(r.finalModel()).resolve("tokenizer.json")));
  }

  /** The driver's console gets replica 0's lines: where it runs, each logged step, the progress line. */
  @Test
  void theDriverPrintsReplicaZerosProgress() throws Exception {
    List<String> console = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    DistributedTraining.train(jsc, TrainRun.of(new ModelSource.Fresh(tiny(), 12), data(),
        args(tmp.resolve("progress"), 6, 2, 1)).withConsole(console::add), replicas(2), ReplicaHooks.none());
    String all = String.join("\n", console);
    assertTrue(console.get(0).startsWith("train: replica 0 of 2 on executor driver"), all);
    for (int step = 1; step <= 6; step++) assertTrue(all.contains("step " + step + "/6: loss "), all);
    assertTrue(all.matches("(?s).*\ntrain: 6/6 \\(100\\.0%\\) steps, [0-9.]+ steps/s, elapsed .*, last step's loss .*"), all);
    assertEquals(console.size(), new java.util.HashSet<>(console).size(), "each line once:\n" + all);
  }

  /** Both ways of averaging: inside backward (DDP's reducer, the default) and after it. */
  @ParameterizedTest(name = "overlap {0}")
  @ValueSource(booleans = {true, false})
  void accumulationAndReplicasCompose(boolean overlap) throws Exception {
    Path data = data();
    TrainResult one = Trainer.train(TrainRun.of(new ModelSource.Fresh(tiny(), 4), data, args(tmp.resolve("one"), 10, 8, 1))
        .withThreads(1));
    TrainResult two = DistributedTraining.train(jsc,
        TrainRun.of(new ModelSource.Fresh(tiny(), 4), data, args(tmp.resolve("two"), 10, 2, 2)),
        new DistributedConfig(2, 60, 5, overlap, null, 0), ReplicaHooks.none());
    assertSameRun(one, two, 1e-5);
    // each step's first micro-batch only accumulates; its last reduces, in or after backward
    // the first step is timed apart (warm-up)
    assertEquals(9, two.timings().steps());
    assertTrue(two.timings().firstStep() > 0, two.timings().toString());
    assertTrue(two.timings().backward() > 0 && two.timings().lastBackward() > 0, two.timings().toString());
  }

  /**
   * The group penalty is λ · penalty per optimizer step whatever splits the batch: 2 replicas ×
   * accumulation 2 log the same losses (data, penalty, total), the same adaptive λ and reach the
   * same weights as 1 replica × accumulation 4.
   */
  @Test
  void thePenaltyPerStepDoesNotDependOnReplicasOrAccumulation() throws Exception {
    Path data = data();
    narrow.sparsity.SparsitySettings sparsity = new narrow.sparsity.SparsitySettings(
        narrow.sparsity.Penalty.L1_OF_L2_OF_MLPS,
        new narrow.sparsity.AdaptiveLambda.Settings(0.02, true, 3, 2, 1.5, 0.5, 0.8), true);
    TrainResult one = Trainer.train(TrainRun.of(new ModelSource.Fresh(tiny(), 8), data, args(tmp.resolve("one"), 10, 2, 4))
        .withHooks(TrainingHooks.none().withObjective(sparsity.objective())).withThreads(1));
    TrainResult two = DistributedTraining.train(jsc,
        TrainRun.of(new ModelSource.Fresh(tiny(), 8), data, args(tmp.resolve("two"), 10, 2, 2)), replicas(2),
        (rank, attempt) -> TrainingHooks.none().withObjective(sparsity.objective()));
    assertSameRun(one, two, 1e-5);
    List<Map<String, Object>> a = one.state().entriesWith("reg_loss");
    List<Map<String, Object>> b = two.state().entriesWith("reg_loss");
    assertEquals(10, a.size());
    for (int i = 0; i < a.size(); i++) {
      for (String key : List.of("data_loss", "reg_loss", "reg_loss_weighted", "total_loss", "current_lambda",
          "smoothed_loss")) {
        double x = ((Number) a.get(i).get(key)).doubleValue();
        assertEquals(x, ((Number) b.get(i).get(key)).doubleValue(), 1e-5 * Math.abs(x), key + " at step " + (i + 1));
      }
    }
    assertNotEquals(0.02, ((Number) a.get(9).get("current_lambda")).doubleValue(), "λ was adjusted");
  }

  /** With a teacher: 2 replicas of batch 2 distil exactly as 1 replica of batch 4, smoothed losses included. */
  @Test
  void twoReplicasDistilAsOne() throws Exception {
    Path data = data();
    narrow.distill.DistillSettings teacher = new narrow.distill.DistillSettings(
        narrow.model.Fixtures.model(narrow.model.Fixtures.TIED).toAbsolutePath().toString(), 2.0, 0.5, 0.9);
    TrainResult one = Trainer.train(TrainRun.of(new ModelSource.Fresh(tiny(), 9), data, args(tmp.resolve("one"), 8, 4, 1))
        .withHooks(TrainingHooks.none().withObjective(teacher.objective())).withThreads(1));
    TrainResult two = DistributedTraining.train(jsc,
        TrainRun.of(new ModelSource.Fresh(tiny(), 9), data, args(tmp.resolve("two"), 8, 2, 1)), replicas(2),
        (rank, attempt) -> TrainingHooks.none().withObjective(teacher.objective()));
    assertSameRun(one, two, 1e-5);
    List<Map<String, Object>> a = one.state().entriesWith("distill_loss");
    List<Map<String, Object>> b = two.state().entriesWith("distill_loss");
    assertEquals(8, a.size());
    for (int i = 0; i < a.size(); i++) {
      for (String key : List.of("student_ce_loss", "distill_loss", "teacher_ce_loss", "student_ce_loss_smoothed",
          "teacher_ce_loss_smoothed")) {
        double x = ((Number) a.get(i).get(key)).doubleValue();
        assertEquals(x, ((Number) b.get(i).get(key)).doubleValue(), 1e-5 * Math.abs(x), key + " at step " + (i + 1));
      }
    }
  }

  /** A run killed after checkpoint-10 of two replicas, resumed by one replica of twice the batch. */
  @Test
  void oneReplicaResumesWhatTwoReplicasCheckpointed() throws Exception {
    Path data = data();
    TrainResult two = DistributedTraining.train(jsc,
        TrainRun.of(new ModelSource.Fresh(tiny(), 5), data, args(tmp.resolve("two"), 20, 2, 1)), replicas(2),
        ReplicaHooks.none());
    Path checkpoint = tmp.resolve("two/checkpoint-10");
    TrainResult resumed = Trainer.train(TrainRun.of(new ModelSource.Fresh(tiny(), 99), data,
        args(tmp.resolve("resumed"), 20, 4, 1)).resumingFrom(checkpoint));
    assertSameRun(two, resumed, 1e-5);
  }

  /**
   * Replica 1 dies at step 13 of the first attempt (after checkpoint-10); Spark retries the
   * barrier stage, which resumes from checkpoint-10 and finishes with the uninterrupted run's weights.
   */
  @Test
  void aLostReplicaIsRetriedFromTheLastCheckpoint() throws Exception {
    Path data = data();
    TrainResult plain = DistributedTraining.train(jsc,
        TrainRun.of(new ModelSource.Fresh(tiny(), 6), data, args(tmp.resolve("plain"), 20, 2, 1)), replicas(2),
        ReplicaHooks.none());
    ReplicaHooks dieOnce = (rank, attempt) -> new TrainingHooks(null, (grads, step) -> {
      if (rank == 1 && attempt == 0 && step == 12) throw new IllegalStateException("replica 1 lost (test)");
    }, null);
    List<String> console = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    TrainResult recovered = DistributedTraining.train(jsc,
        TrainRun.of(new ModelSource.Fresh(tiny(), 6), data, args(tmp.resolve("recovered"), 20, 2, 1))
            .withConsole(console::add),
        new DistributedConfig(2, 20, 5, null, null, 0), dieOnce);
    assertEquals(20, recovered.globalStep());
    assertWeightsEqual(plain.finalModel(), recovered.finalModel(), 1e-6);
    assertTrue(console.contains("train: Spark retried the replicas (stage attempt 1): resumed from checkpoint-10"),
        String.join("\n", console));

    // tokens/s covers the whole run: attempt 0's 13 steps (replica 0 finishes step 13, whose
    // collectives replica 1 joined before failing) and attempt 1's steps 11 to 20, over the run's time
    List<Long> perStep = new java.util.ArrayList<>();
    Trainer.train(TrainRun.of(new ModelSource.Fresh(tiny(), 6), data, args(tmp.resolve("counted"), 20, 4, 1))
        .withThreads(1).withStepListener(step -> perStep.add(step.realTokens())));
    long tokens = perStep.subList(0, 13).stream().mapToLong(Long::longValue).sum()
        + perStep.subList(10, 20).stream().mapToLong(Long::longValue).sum();
    assertEquals(tokens, recovered.tokensPerSecond() * recovered.trainRuntimeSeconds(), 1e-6 * tokens);
  }

  /** A NaN loss on one replica stops both at the same step, named, instead of hanging the other. */
  @Test
  void aNonFiniteLossOnOneReplicaStopsAll() throws Exception {
    Path data = data();
    ReplicaHooks poison = (rank, attempt) -> new TrainingHooks(new NanAt(rank == 1 ? 3 : -1), null, null);
    Exception e = assertThrows(Exception.class, () -> DistributedTraining.train(jsc,
        TrainRun.of(new ModelSource.Fresh(tiny(), 7), data, args(tmp.resolve("nan"), 10, 2, 1)), replicas(2), poison));
    String all = stackText(e);
    assertTrue(all.contains("step 4: non-finite loss"), all);
  }

  /** An objective whose loss is NaN after {@code step} optimizer steps (-1: never). */
  record NanAt(long step) implements Objective {
    @Override
    public LogitsLoss microBatchLoss(MicroBatch b) {
      LogitsLoss ce = Objective.CAUSAL_LM.microBatchLoss(b);
      return b.step() - 1 == step ? new LogitsLoss(Ops.mul(ce.loss(), Float.NaN), ce.logitsGradient(), ce.parts()) : ce;
    }
  }

  @Test
  void moreReplicasThanSlotsIsRefusedUpFront() {
    UserError e = assertThrows(UserError.class, () -> DistributedTraining.train(jsc,
        TrainRun.of(new ModelSource.Fresh(tiny(), 1), data(), args(tmp.resolve("x"), 2, 1, 1)), replicas(3),
        ReplicaHooks.none()));
    assertTrue(e.getMessage().contains("needs 3 task slots") && e.getMessage().contains("has 2"), e.getMessage());
  }

  static void assertSameRun(TrainResult want, TrainResult got, double tolerance) throws Exception {
    assertEquals(want.globalStep(), got.globalStep());
    List<Map<String, Object>> a = want.state().entriesWith("loss");
    List<Map<String, Object>> b = got.state().entriesWith("loss");
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      double x = ((Number) a.get(i).get("loss")).doubleValue();
      double y = ((Number) b.get(i).get("loss")).doubleValue();
      assertEquals(x, y, tolerance * Math.abs(x), "loss at step " + a.get(i).get("step"));
    }
    List<Map<String, Object>> ea = want.state().entriesWith("eval_loss");
    List<Map<String, Object>> eb = got.state().entriesWith("eval_loss");
    assertEquals(ea.size(), eb.size());
    for (int i = 0; i < ea.size(); i++) {
      double x = ((Number) ea.get(i).get("eval_loss")).doubleValue();
      assertEquals(x, ((Number) eb.get(i).get("eval_loss")).doubleValue(), tolerance * x, "eval_loss " + i);
    }
    assertWeightsEqual(want.finalModel(), got.finalModel(), tolerance);
  }

  /**
   * ‖θ_b − θ_a‖ / ‖θ_a‖ over all parameters together. Single elements may differ more: Adam
   * divides each gradient by its own running magnitude, so an entry whose gradient is near eps
   * (1e-8) turns float rounding of a different summation order into a visible difference (seen:
   * one embedding entry of 20,480 off by 5e-6 after 10 steps, the whole model 2e-6).
   */
  static void assertWeightsEqual(String a, String b, double tolerance) throws Exception {
    try (TensorScope scope = new TensorScope()) {
      Map<String, Tensor> wa = Safetensors.read(Path.of(a, "model.safetensors"), Device.CPU);
      Map<String, Tensor> wb = Safetensors.read(Path.of(b, "model.safetensors"), Device.CPU);
      assertEquals(wa.keySet(), wb.keySet());
      double diff = 0;
      double norm = 0;
      for (String k : wa.keySet()) {
        float[] x = Tensors.toFloats(wa.get(k));
        float[] y = Tensors.toFloats(wb.get(k));
        for (int i = 0; i < x.length; i++) {
          diff += ((double) y[i] - x[i]) * ((double) y[i] - x[i]);
          norm += (double) x[i] * x[i];
        }
      }
      double relative = Math.sqrt(diff / norm);
      System.out.printf("final weights: relative difference %.3g%n", relative);
      assertTrue(relative <= tolerance, "weights differ by " + relative + " (relative, all parameters)");
    }
  }

  static String stackText(Throwable e) {
    java.io.StringWriter w = new java.io.StringWriter();
    e.printStackTrace(new java.io.PrintWriter(w));
    return w.toString();
  }
}
