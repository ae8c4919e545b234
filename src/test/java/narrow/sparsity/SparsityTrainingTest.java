package narrow.sparsity;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import narrow.engine.TensorScope;
import narrow.model.Fixtures;
import narrow.model.LlamaConfig;
import narrow.model.LlamaForCausalLM;
import narrow.train.ModelSource;
import narrow.train.TestShardsAccess;
import narrow.train.TrainResult;
import narrow.train.TrainRun;
import narrow.train.Trainer;
import narrow.train.TrainingArguments;
import narrow.train.TrainingHooks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group-sparsity fine-tuning through the trainer: what it logs, what it does, and exact resume. */
class SparsityTrainingTest {
  static final List<String> STUDY_KEYS =
      List.of("data_loss", "reg_loss", "reg_loss_weighted", "current_lambda", "smoothed_loss", "total_loss");
  @TempDir Path tmp;

  static LlamaConfig tiny() throws Exception {
    return LlamaConfig.read(Fixtures.model(Fixtures.UNTIED).resolve("config.json"));
  }

  static TrainingArguments args(Path out, long steps) {
    return TrainingArguments.defaults(out.toString()).with(Map.ofEntries(
        Map.entry("max_steps", steps), Map.entry("learning_rate", 3e-3), Map.entry("weight_decay", 0.0),
        Map.entry("warmup_steps", 2), Map.entry("lr_scheduler_type", "constant_with_warmup"),
        Map.entry("per_device_train_batch_size", 4), Map.entry("gradient_accumulation_steps", 2),
        Map.entry("logging_steps", 1), Map.entry("eval_steps", 0), Map.entry("save_steps", 4),
        Map.entry("seed", 7), Map.entry("max_length", 24), Map.entry("bf16", false)));
  }

  static TrainingHooks penalty(double lambda, boolean adaptive) {
    return TrainingHooks.none().withObjective(new SparsitySettings(Penalty.L1_OF_L2_OF_MLPS,
        new AdaptiveLambda.Settings(lambda, adaptive, 2, 2, 1.5, 0.5, 0.7), true).objective());
  }

  Path data() throws Exception {
    return TestShardsAccess.learnable(tmp.resolve("data"), 318, 318, 24, true, 64, 10, 1);
  }

  /** loss = data_loss + λ · reg_loss at every logging step, and the norm statistics beside them. */
  @Test
  void logsTheStudysKeysAndTheNorms() throws Exception {
    TrainResult r = Trainer.train(TrainRun.of(new ModelSource.Fresh(tiny(), 1), data(), args(tmp.resolve("out"), 4))
        .withHooks(penalty(0.01, false)));
    List<Map<String, Object>> entries = r.state().entriesWith("reg_loss");
    assertEquals(4, entries.size());
    for (Map<String, Object> e : entries) {
      for (String key : STUDY_KEYS) assertTrue(e.containsKey(key), key + " missing from " + e);
      double data = num(e, "data_loss");
      double reg = num(e, "reg_loss");
      assertEquals(0.01, num(e, "current_lambda"), 0);
      assertEquals(0.01 * reg, num(e, "reg_loss_weighted"), 1e-12);
      assertEquals(data + 0.01 * reg, num(e, "loss"), 1e-9);
      assertEquals(num(e, "loss"), num(e, "total_loss"), 1e-9);
      assertTrue(e.containsKey("neurons_below_0.01_median") && e.containsKey("neuron_norm_q0.5"), e.toString());
    }
  }

  /** A strong penalty drives neuron norms down where plain training of the same steps does not. */
  @Test
  void aStrongPenaltyShrinksTheNeurons() throws Exception {
    Path data = data();
    double[] sums = new double[2];
    for (int i = 0; i < 2; i++) {
      TrainRun run = TrainRun.of(new ModelSource.Fresh(tiny(), 2), data, args(tmp.resolve("run" + i), 12));
      if (i == 1) run = run.withHooks(penalty(0.05, false));
      TrainResult r = Trainer.train(run);
      try (TensorScope scope = new TensorScope(); LlamaForCausalLM m = LlamaForCausalLM.load(Path.of(r.finalModel()))) {
        sums[i] = Arrays.stream(GroupNorms.neurons(m.weights())).flatMapToDouble(Arrays::stream).sum();
      }
    }
    assertTrue(sums[1] < 0.8 * sums[0], "neuron norms with the penalty " + sums[1] + ", without " + sums[0]);
  }

  /** Resumed from checkpoint-4, a run logs the λ, smoothed loss and losses of the uninterrupted one. */
  @Test
  void resumeContinuesLambdaAndTheSmoothedLossExactly() throws Exception {
    Path data = data();
    TrainResult full = Trainer.train(TrainRun.of(new ModelSource.Fresh(tiny(), 3), data, args(tmp.resolve("full"), 10))
        .withHooks(penalty(0.01, true)));
    TrainResult resumed = Trainer.train(TrainRun.of(new ModelSource.Fresh(tiny(), 99), data,
        args(tmp.resolve("resumed"), 10)).resumingFrom(tmp.resolve("full/checkpoint-4")).withHooks(penalty(0.01, true)));
    List<Map<String, Object>> a = full.state().entriesWith("reg_loss");
    List<Map<String, Object>> b = resumed.state().entriesWith("reg_loss");
    assertEquals(a.size(), b.size());
    for (int i = 4; i < a.size(); i++) {
      for (String key : STUDY_KEYS) {
        assertEquals(num(a.get(i), key), num(b.get(i), key), 1e-6 * Math.abs(num(a.get(i), key)),
            key + " at step " + (i + 1));
      }
    }
    assertNotEquals(0.01, num(a.get(9), "current_lambda"), "λ moved after the checkpoint");
  }

  private static double num(Map<String, Object> e, String key) {
    return ((Number) e.get(key)).doubleValue();
  }
}
