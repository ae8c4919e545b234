package narrow.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import narrow.engine.Device;
import narrow.engine.Ops;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.LlamaConfig;
import narrow.model.LlamaForCausalLM;
import narrow.model.io.Safetensors;
import narrow.util.CompleteFolder;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer end to end on the fixture-sized model (vocab 320, hidden 64, 2 layers). */
@narrow.Slow
class TrainerTest {
  static final int BOS = 318;
  @TempDir Path tmp;

  static LlamaConfig tinyConfig() throws IOException {
    return LlamaConfig.read(OptimizerMathTest.fixtures().resolve("untied-mha/config.json"));
  }

  /**
   * An objective whose micro-batch loss is the causal-LM loss plus f(that loss, optimizer steps
   * done): a value only, the gradient stays the causal-LM one.
   */
  static Objective lossTerm(java.util.function.BiFunction<Tensor, Long, Tensor> f) {
    return new Objective() {
      @Override
      public LogitsLoss microBatchLoss(MicroBatch b) {
        LogitsLoss ce = Objective.CAUSAL_LM.microBatchLoss(b);
        return new LogitsLoss(ce.loss().add(f.apply(ce.loss(), b.step() - 1)), ce.logitsGradient(), ce.parts());
      }
    };
  }

  TrainingArguments args(Path out, long steps) {
    return TrainingArguments.defaults(out.toString()).with(Map.ofEntries(
        Map.entry("max_steps", steps), Map.entry("learning_rate", 3e-3), Map.entry("weight_decay", 0.01),
        Map.entry("warmup_steps", 3), Map.entry("lr_scheduler_type", "cosine"),
        Map.entry("per_device_train_batch_size", 4), Map.entry("per_device_eval_batch_size", 5),
        Map.entry("gradient_accumulation_steps", 2), Map.entry("logging_steps", 2), Map.entry("eval_steps", 4),
        Map.entry("save_steps", 4), Map.entry("save_total_limit", 2), Map.entry("seed", 7),
        Map.entry("max_length", 24)));
  }

  /** Loss falls, HF's files are where HF puts them, hooks run, final_model reloads bit-identically. */
  @Test
  void trainsWritesCheckpointsAndReloadsExactly() throws Exception {
    Path data = TestShards.learnable(tmp.resolve("data"), 318, BOS, 24, true, 64, 10, 1);
    Path tokenizer = Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": \"stand-in\"}");
    Path out = tmp.resolve("out");
    AtomicInteger hookCalls = new AtomicInteger();
    String masked = "model.layers.0.mlp.up_proj.weight";
    TrainingHooks hooks = new TrainingHooks(null,
        (grads, step) -> {
          assertEquals(hookCalls.getAndIncrement(), step);
          assertFalse(grads.isEmpty());
        },
        params -> params.get(masked).narrow(0, 0, 10).zero_());
    List<String> console = new java.util.ArrayList<>();
    TrainRun run = TrainRun.of(new ModelSource.Fresh(tinyConfig(), 3), data, args(out, 40).with("eval_steps", 20))
        .withTokenizer(tokenizer).withHooks(hooks).withConsole(console::add);
    TrainResult result;
    boolean bf16;
    try (Trainer t = Trainer.open(run)) {
      bf16 = t.bf16();
      result = t.run();
      try (TensorScope scope = new TensorScope();
          LlamaForCausalLM back = LlamaForCausalLM.load(Path.of(result.finalModel()))) {
        for (Map.Entry<String, Tensor> e : t.model().parameters().entrySet()) {
          assertArrayEquals(Tensors.toFloats(e.getValue()), Tensors.toFloats(back.parameters().get(e.getKey())), e.getKey());
        }
        float[] up = Tensors.toFloats(back.parameters().get(masked));
        for (int i = 0; i < 10 * 64; i++) assertEquals(0f, up[i], "mask held through training");
      }
    }
    assertEquals(40, hookCalls.get());
    assertEquals(40, result.globalStep());

    List<Map<String, Object>> losses = result.state().entriesWith("loss");
    assertEquals(20, losses.size());
    double first = ((Number) losses.get(0).get("loss")).doubleValue();
    double last = ((Number) losses.get(losses.size() - 1).get("loss")).doubleValue();
    assertTrue(last < first - 1.0, "loss falls: " + first + " -> " + last);
    assertEquals(2, ((Number) losses.get(0).get("step")).intValue());
    for (String key : List.of("loss", "grad_norm", "learning_rate", "epoch", "step")) {
      assertTrue(losses.get(0).containsKey(key), key);
    }
    List<Map<String, Object>> evals = result.state().entriesWith("eval_loss");
    assertEquals(2, evals.size());
    assertTrue(((Number) evals.get(1).get("eval_loss")).doubleValue()
        < ((Number) evals.get(0).get("eval_loss")).doubleValue());
    Map<String, Object> fin = result.state().logHistory().get(result.state().logHistory().size() - 1);
    for (String key : List.of("train_runtime", "train_samples_per_second", "train_steps_per_second", "total_flos",
        "train_loss", "epoch", "step")) {
      assertTrue(fin.containsKey(key), key);
    }
    // 64 rows / 4 per batch = 16 micro-batches an epoch; 40 steps x 2 = 80 micro-batches = 5 epochs
    assertEquals(5.0, result.state().epoch(), 1e-12);
    assertTrue(console.stream().anyMatch(l -> l.contains("tokens/s")), String.join("\n", console));

    // save_total_limit 2: only the two newest remain, each complete
    assertEquals(List.of(out.resolve("checkpoint-36"), out.resolve("checkpoint-40")), Checkpoints.list(out));
    for (Path dir : List.of(out.resolve("checkpoint-40"), Path.of(result.finalModel()))) {
      for (String f : List.of("model.safetensors", "config.json", "tokenizer.json", "trainer_state.json",
          "training_args.bin", "training_args.json", CompleteFolder.MARKER)) {
        assertTrue(Files.exists(dir.resolve(f)), dir + "/" + f);
      }
    }
    assertTrue(Files.exists(out.resolve("checkpoint-40/optimizer.safetensors")));
    assertEquals(40, TrainerState.read(out.resolve("checkpoint-40/trainer_state.json")).globalStep());
    assertNull(run.args().bf16(), "bf16 unset: the device decides");
    assertEquals(args(out, 40).with(Map.of("eval_steps", 20, "bf16", bf16)),
        TrainingArguments.readJson(out.resolve("checkpoint-40/training_args.json")), "bf16 as resolved");
    try (var files = Files.list(out)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".tmp-")), "no half checkpoints");
    }
    narrow.model.io.PythonTorch.assumeAvailable("TrainerTest: training_args.bin read by torch.load");
    // torch 2 loads weights-only by default; 1.13's weights-only unpickler cannot read Python floats
    String loaded = narrow.model.io.PythonTorch.run(
        "import sys, torch; d = torch.load(sys.argv[1]); print(d['max_steps'], d['learning_rate'], d['output_dir'], d['bf16'])",
        out.resolve("checkpoint-40/training_args.bin").toString());
    assertEquals("40 0.003 " + out + (bf16 ? " True" : " False"), loaded);
  }

  /**
   * Kill after a checkpoint and resume: a fresh trainer from checkpoint-8 reproduces the
   * uninterrupted run's later losses (truncate layout with padding, accumulation 2).
   */
  @Test
  void resumeReproducesTheUninterruptedRun() throws Exception {
    Path data = TestShards.learnable(tmp.resolve("data"), 318, BOS, 24, false, 40, 10, 2);
    Path full = tmp.resolve("full");
    TrainResult a = Trainer.train(TrainRun.of(new ModelSource.Fresh(tinyConfig(), 5), data, args(full, 14)));
    // save_steps 4, limit 2: 14 is not a save step (HF saves only on multiples)
    assertEquals(List.of(full.resolve("checkpoint-8"), full.resolve("checkpoint-12")), Checkpoints.list(full));
    // the same run killed during step 10, after checkpoint-8 was written
    Path killed = tmp.resolve("killed");
    try (Trainer t = Trainer.open(TrainRun.of(new ModelSource.Fresh(tinyConfig(), 5), data, args(killed, 14)))) {
      for (int i = 0; i < 9; i++) t.step();
    }
    Path ckpt = killed.resolve("checkpoint-8");
    assertEquals(List.of(killed.resolve("checkpoint-4"), ckpt), Checkpoints.list(killed));
    Path resumed = tmp.resolve("resumed");
    // a different model source is ignored: the checkpoint's weights are the model
    TrainResult b = Trainer.train(TrainRun.of(new ModelSource.Fresh(tinyConfig(), 999), data, args(resumed, 14))
        .resumingFrom(ckpt));
    assertEquals(14, b.globalStep());

    List<Map<String, Object>> want = a.state().entriesWith("loss");
    List<Map<String, Object>> got = b.state().entriesWith("loss");
    assertEquals(want.size(), got.size(), "the resumed state carries the earlier log history");
    for (int i = 0; i < want.size(); i++) {
      assertEquals(((Number) want.get(i).get("step")).longValue(), ((Number) got.get(i).get("step")).longValue());
      assertEquals(((Number) want.get(i).get("loss")).doubleValue(), ((Number) got.get(i).get("loss")).doubleValue(),
          1e-6, "loss at step " + want.get(i).get("step"));
      assertEquals(((Number) want.get(i).get("grad_norm")).doubleValue(),
          ((Number) got.get(i).get("grad_norm")).doubleValue(), 1e-5);
    }
    List<Map<String, Object>> wantEval = a.state().entriesWith("eval_loss");
    List<Map<String, Object>> gotEval = b.state().entriesWith("eval_loss");
    assertEquals(wantEval.size(), gotEval.size());
    for (int i = 0; i < wantEval.size(); i++) {
      assertEquals(((Number) wantEval.get(i).get("eval_loss")).doubleValue(),
          ((Number) gotEval.get(i).get("eval_loss")).doubleValue(), 1e-6);
    }
    assertEquals(a.trainLoss(), b.trainLoss(), 1e-6);
    try (TensorScope scope = new TensorScope()) {
      Map<String, Tensor> wa = Safetensors.read(Path.of(a.finalModel()).resolve("model.safetensors"), Device.CPU);
      Map<String, Tensor> wb = Safetensors.read(Path.of(b.finalModel()).resolve("model.safetensors"), Device.CPU);
      for (String k : wa.keySet()) {
        float[] x = Tensors.toFloats(wa.get(k)), y = Tensors.toFloats(wb.get(k));
        for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 1e-6f, k);
      }
    }
    // resuming with other data settings cannot be exact and is refused
    assertThrows(narrow.util.UserError.class, () -> Trainer.train(TrainRun.of(
        new ModelSource.Fresh(tinyConfig(), 5), data, args(tmp.resolve("x"), 14).with("seed", 8)).resumingFrom(ckpt)));
  }

  /**
   * The GC running between a micro-batch's forward and its backward (here forced by a loss term
   * that adds zero) changes no loss and no gradient: the step keeps nothing in Java memory that
   * the GC may free before backward reads it (everything is libtorch's memory).
   */
  @Test
  void garbageCollectionInsideAStepChangesNothing() throws Exception {
    Path data = TestShards.learnable(tmp.resolve("data"), 318, BOS, 24, true, 32, 10, 4);
    List<Object> held = new java.util.ArrayList<>();
    Objective collectGarbage = lossTerm((dataLoss, step) -> {
      try {
        held.add(narrow.model.FreedMemoryPoison.spread(4, 8));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return Ops.mul(dataLoss, 0);
    });
    List<Trainer.StepStats> plain = new java.util.ArrayList<>();
    List<Trainer.StepStats> collected = new java.util.ArrayList<>();
    TrainingArguments a = args(tmp.resolve("a"), 3).with("eval_steps", 0);
    try (Trainer t = Trainer.open(TrainRun.of(new ModelSource.Fresh(tinyConfig(), 2), data, a))) {
      for (int i = 0; i < 3; i++) plain.add(t.step());
    }
    TrainingArguments b = args(tmp.resolve("b"), 3).with("eval_steps", 0);
    try (Trainer t = Trainer.open(TrainRun.of(new ModelSource.Fresh(tinyConfig(), 2), data, b)
        .withHooks(new TrainingHooks(collectGarbage, null, null)))) {
      for (int i = 0; i < 3; i++) collected.add(t.step());
    }
    assertEquals(6, held.size(), "3 steps x 2 micro-batches");
    for (int i = 0; i < 3; i++) {
      assertEquals(plain.get(i).loss(), collected.get(i).loss(), 1e-6, "loss at step " + (i + 1));
      assertEquals(plain.get(i).gradNorm(), collected.get(i).gradNorm(), 1e-6 * plain.get(i).gradNorm(),
          "grad_norm at step " + (i + 1));
    }
  }

  /** A NaN from the loss stops the run naming the step; the checkpoint before it stays whole. */
  @Test
  void nonFiniteLossStopsWithTheStep() throws Exception {
    Path data = TestShards.learnable(tmp.resolve("data"), 318, BOS, 24, true, 32, 10, 3);
    Path out = tmp.resolve("out");
    Objective poison = lossTerm((dataLoss, step) ->
        Ops.mul(dataLoss, step == 5 ? Float.NaN : 0f));
    TrainRun run = TrainRun.of(new ModelSource.Fresh(tinyConfig(), 1), data, args(out, 10).with("eval_steps", 0))
        .withHooks(new TrainingHooks(poison, null, null));
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> Trainer.train(run));
    assertEquals(6, e.step());
    assertTrue(e.getMessage().startsWith("step 6: non-finite loss"), e.getMessage());
    assertTrue(e.getMessage().contains("checkpoint-4"), e.getMessage());
    assertEquals(List.of(out.resolve("checkpoint-4")), Checkpoints.list(out));
    assertFalse(Files.exists(out.resolve(Trainer.FINAL_MODEL)));
  }

  /**
   * HF's {@code bf16=True} trains to the same place: after the same 40 steps the final eval loss
   * under bf16 autocast is within 2% of float32's (on CPUs without bf16 units libtorch emulates it).
   */
  @Test
  void bf16TrainingEndsWithinTwoPercentOfFloat32() throws Exception {
    Path data = TestShards.learnable(tmp.resolve("data"), 318, BOS, 24, true, 64, 10, 1);
    double[] evalLoss = new double[2];
    for (int i = 0; i < 2; i++) {
      boolean bf16 = i == 1;
      TrainingArguments a = args(tmp.resolve("out" + i), 40).with(Map.of("eval_steps", 40, "save_steps", 0,
          "bf16", bf16));
      try (Trainer t = Trainer.open(TrainRun.of(new ModelSource.Fresh(tinyConfig(), 3), data, a))) {
        assertEquals(bf16, t.bf16());
        TrainResult r = t.run();
        List<Map<String, Object>> evals = r.state().entriesWith("eval_loss");
        evalLoss[i] = ((Number) evals.get(evals.size() - 1).get("eval_loss")).doubleValue();
      }
    }
    System.out.printf("final eval loss: float32 %.9f, bf16 %.9f%n", evalLoss[0], evalLoss[1]);
    assertNotEquals(evalLoss[0], evalLoss[1], "bf16 really changed the arithmetic");
    assertEquals(evalLoss[0], evalLoss[1], 0.02 * evalLoss[0]);
  }
}
