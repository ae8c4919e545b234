package narrow.prune;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import narrow.data.TestDatasets;
import narrow.distributed.ReplicaHooks;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.Fixtures;
import narrow.model.LlamaConfig;
import narrow.model.io.Safetensors;
import narrow.train.ModelSource;
import narrow.train.TrainResult;
import narrow.train.TrainRun;
import narrow.train.Trainer;
import narrow.train.TrainingArguments;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recovery training holds the mask: after 20 steps every checkpoint's pruned weights are exactly zero. */
class MaskedTrainingTest {
  @TempDir Path tmp;

  static Path dataset(Path dir, int trainRows) throws Exception {
    SplittableRandom rng = new SplittableRandom(5);
    for (String split : List.of("train", "validation")) {
      List<int[]> rows = new ArrayList<>();
      for (int r = 0; r < (split.equals("train") ? trainRows : 10); r++) {
        int[] row = new int[24];
        row[0] = 318;
        for (int i = 1; i < row.length; i++) row[i] = rng.nextInt(40) + (i % 7) * 40; // learnable-ish
        rows.add(row);
      }
      TestDatasets.writeShard(dir.resolve(split + "/part-00000.parquet"), rows);
    }
    return TestDatasets.commit(dir, "train", "validation");
  }

  static TrainingArguments args(Path out, long steps) {
    return TrainingArguments.defaults(out.toString()).with(Map.ofEntries(
        Map.entry("max_steps", steps), Map.entry("learning_rate", 3e-3), Map.entry("weight_decay", 0.1),
        Map.entry("warmup_steps", 2), Map.entry("per_device_train_batch_size", 4),
        Map.entry("per_device_eval_batch_size", 5), Map.entry("gradient_accumulation_steps", 2),
        Map.entry("logging_steps", 5), Map.entry("eval_steps", 10), Map.entry("save_steps", 10),
        Map.entry("save_total_limit", 3), Map.entry("seed", 3), Map.entry("max_length", 24)));
  }

  @Test
  void prunedWeightsAreZeroInEveryCheckpoint() throws Exception {
    Path model = Fixtures.model(Fixtures.UNTIED);
    LlamaConfig c = LlamaConfig.read(model.resolve("config.json"));
    PruningMask mask = PruningMask.of(PruningMaskTest.randomHalf(c), c);
    Path out = tmp.resolve("out");
    TrainResult r = Trainer.train(TrainRun.of(new ModelSource.Pretrained(model), dataset(tmp.resolve("data"), 64),
        args(out, 20)).withHooks(MaskedTraining.hooks(mask, 9.5)));
    assertEquals(20, r.globalStep());
    // the recovery curve starts at step 0: the base model's loss, then the masked model's before any update
    var log = r.state().logHistory();
    assertEquals(9.5, log.get(0).get("eval_loss_before_pruning"));
    assertEquals(0L, ((Number) log.get(1).get("step")).longValue());
    assertTrue(log.get(1).containsKey("eval_loss"), log.get(1).toString());
    assertEquals(3, r.state().entriesWith("eval_loss").size(), "steps 0, 10 and 20");
    for (Path weights : List.of(out.resolve("checkpoint-10/model.safetensors"),
        out.resolve("checkpoint-20/model.safetensors"), Path.of(r.finalModel()).resolve("model.safetensors"))) {
      assertMasked(mask, weights, model.resolve("model.safetensors"));
    }
    assertMomentsUntouched(mask, out.resolve("checkpoint-20/optimizer.safetensors"));
  }

  /**
   * AdamW's moments of pruned entries are exactly 0: no gradient reached them. (With the study's
   * mask a pruned entry's gradient is already zero in the masked model, the products through it
   * being zero; the gradient hook makes it so whatever a loss term or a mask would leave.)
   */
  static void assertMomentsUntouched(PruningMask mask, Path optimizer) throws Exception {
    try (TensorScope scope = new TensorScope()) {
      Map<String, Tensor> state = Safetensors.read(optimizer, Device.CPU);
      long nonzeroKept = 0;
      for (MaskedParameter m : mask.parameters()) {
        for (String moment : List.of("exp_avg.", "exp_avg_sq.")) {
          float[] v = Tensors.toFloats(state.get(moment + m.name()));
          long cols = m.shape().length == 1 ? 1 : m.shape()[1];
          for (int i = 0; i < v.length; i++) {
            float keep = m.shape().length == 1 ? m.valueAt(i, 0) : m.valueAt(i / cols, i % cols);
            if (keep == 0) assertEquals(0f, v[i], 0f, moment + m.name() + "[" + i + "] of a pruned entry");
            else if (v[i] != 0) nonzeroKept++;
          }
        }
      }
      assertTrue(nonzeroKept > 1000, "kept entries have moments: " + nonzeroKept);
    }
  }

  /** Pruned entries exactly 0, and training moved the others (the mask did not freeze the model). */
  static void assertMasked(PruningMask mask, Path weights, Path base) throws Exception {
    try (TensorScope scope = new TensorScope()) {
      Map<String, Tensor> trained = Safetensors.read(weights, Device.CPU);
      Map<String, Tensor> original = Safetensors.read(base, Device.CPU);
      long moved = 0;
      long zeros = 0;
      for (MaskedParameter m : mask.parameters()) {
        float[] w = Tensors.toFloats(trained.get(m.name()));
        float[] o = Tensors.toFloats(original.get(m.name()));
        long cols = m.shape().length == 1 ? 1 : m.shape()[1];
        for (int i = 0; i < w.length; i++) {
          float v = m.shape().length == 1 ? m.valueAt(i, 0) : m.valueAt(i / cols, i % cols);
          if (v == 0) {
            assertEquals(0f, w[i], 0f, weights + ": " + m.name() + "[" + i + "] is pruned");
            zeros++;
          } else if (w[i] != o[i]) {
            moved++;
          }
        }
      }
      assertTrue(zeros > 1000, "zeros " + zeros);
      assertTrue(moved > 1000, "training changed the kept weights: " + moved);
    }
  }

  @Test
  void replicaHooksTravelAsIndexLists() throws Exception {
    LlamaConfig c = LlamaConfig.read(Fixtures.model(Fixtures.UNTIED).resolve("config.json"));
    PruningMask mask = PruningMask.of(PruningMaskTest.randomHalf(c), c);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream o = new ObjectOutputStream(bytes)) {
      o.writeObject(MaskedTraining.replicaHooks(mask, 2.5));
    }
    ReplicaHooks back;
    try (ObjectInputStream in = new ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      back = (ReplicaHooks) in.readObject();
    }
    var hooks = back.create(1, 0);
    assertNotNull(hooks.gradientHook());
    assertNotNull(hooks.mask());
    assertEquals(2.5, hooks.startLog().get(0).get("eval_loss_before_pruning"));
    assertTrue(bytes.size() < 64 * 1024, "shipped " + bytes.size() + " bytes");
  }
}
