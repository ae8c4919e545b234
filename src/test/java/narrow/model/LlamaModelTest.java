package narrow.model;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.concurrent.*;
import narrow.engine.Autocast;
import narrow.engine.Autograd;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.engine.DType;
import narrow.model.io.Safetensors;
import narrow.train.GradientClipping;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

class LlamaModelTest {
  @TempDir Path tmp;

  @Test
  void saveThenLoadGivesBitIdenticalParametersAndLogits() throws Exception {
    for (String name : List.of(Fixtures.UNTIED, Fixtures.TIED)) {
      try (TensorScope scope = new TensorScope();
          LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(name))) {
        Path dir = tmp.resolve(name);
        model.save(dir, DType.F32);
        assertEquals(model.config().tieWordEmbeddings(),
            !Safetensors.readHeader(dir.resolve("model.safetensors")).tensors().containsKey("lm_head.weight"));
        try (LlamaForCausalLM back = LlamaForCausalLM.load(dir)) {
          assertEquals(model.config().withTorchDtype("float32"), back.config());
          assertEquals(List.copyOf(model.parameters().keySet()), List.copyOf(back.parameters().keySet()));
          for (String p : model.parameters().keySet()) {
            assertArrayEquals(Tensors.toFloats(model.parameters().get(p)),
                Tensors.toFloats(back.parameters().get(p)), p);
          }
          Tensor ids = Fixtures.batch(0, "input_ids");
          try (Autograd.Scope s = Autograd.noGrad()) {
            assertArrayEquals(Tensors.toFloats(model.logits(ids)), Tensors.toFloats(back.logits(ids)));
          }
        }
        // the bf16 fixture holds bf16 values, so a BF16 save reproduces them exactly too
        if (name.equals(Fixtures.TIED)) {
          Path bf16 = tmp.resolve("bf16");
          model.save(bf16, DType.BF16);
          assertEquals("bfloat16", LlamaConfig.read(bf16.resolve("config.json")).torchDtype());
          try (LlamaForCausalLM back = LlamaForCausalLM.load(bf16)) {
            for (String p : model.parameters().keySet()) {
              assertArrayEquals(Tensors.toFloats(model.parameters().get(p)),
                  Tensors.toFloats(back.parameters().get(p)), p);
            }
          }
        }
      }
    }
  }

  @Test
  void intAndLongTokenIdsGiveTheSameLogits() throws Exception {
    try (TensorScope scope = new TensorScope();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.TIED));
        Autograd.Scope s = Autograd.noGrad()) {
      Tensor ids = Fixtures.batch(0, "input_ids");
      Tensor intIds = ids.to(org.bytedeco.pytorch.global.torch.ScalarType.Int);
      Tensor logits = model.logits(ids);
      assertArrayEquals(new long[] {3, 24, 320}, Tensors.shape(logits));
      assertArrayEquals(Tensors.toFloats(logits), Tensors.toFloats(model.logits(intIds)));
      assertEquals(org.bytedeco.pytorch.global.torch.ScalarType.Int, intIds.scalar_type().intern(),
          "input left as it was");
    }
  }

  @Test
  void loadRejectsCheckpointsThatDoNotFitTheConfig() throws Exception {
    try (TensorScope scope = new TensorScope();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.UNTIED))) {
      Path dir = tmp.resolve("broken");
      model.save(dir, DType.F32);
      Map<String, Tensor> missing = new LinkedHashMap<>(model.parameters());
      missing.remove("model.layers.1.mlp.up_proj.weight");
      Safetensors.write(dir.resolve("model.safetensors"), missing, DType.F32, Map.of("format", "pt"));
      Exception e = assertThrows(narrow.util.UserError.class, () -> LlamaForCausalLM.load(dir));
      assertTrue(e.getMessage().contains("model.layers.1.mlp.up_proj.weight"), e.getMessage());

      Map<String, Tensor> extra = new LinkedHashMap<>(model.parameters());
      extra.put("model.layers.0.mlp.bias", Tensors.zeros(Device.CPU, 3));
      Safetensors.write(dir.resolve("model.safetensors"), extra, DType.F32, Map.of("format", "pt"));
      e = assertThrows(narrow.util.UserError.class, () -> LlamaForCausalLM.load(dir));
      assertTrue(e.getMessage().contains("unexpected tensor 'model.layers.0.mlp.bias'"), e.getMessage());
    }
  }

  @Test
  void shardedSaveLoadsBack() throws Exception {
    try (TensorScope scope = new TensorScope();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.UNTIED))) {
      Path dir = Files.createDirectories(tmp.resolve("sharded"));
      model.config().write(dir.resolve("config.json"));
      Safetensors.writeCheckpoint(dir, model.parameters(), DType.F32, 100_000);
      assertTrue(Files.exists(dir.resolve(Safetensors.INDEX_FILE)));
      try (LlamaForCausalLM back = LlamaForCausalLM.load(dir)) {
        for (String p : model.parameters().keySet()) {
          assertArrayEquals(Tensors.toFloats(model.parameters().get(p)),
              Tensors.toFloats(back.parameters().get(p)), p);
        }
      }
    }
  }

  /**
   * Tensor lifetime is explicit: a step's scope frees every native handle the step made, so the
   * number of live native objects (JavaCPP counts every one that has a deallocator) does not grow
   * from step to step, and closing the model frees its parameters. The count is JVM-wide: objects
   * that earlier test classes left for the garbage collector are freed first, and a step may still
   * see the count fall (the collector finishing them), never rise.
   */
  @Test
  void forwardAndBackwardLeaveNoHandlesBehind() throws Exception {
    try (LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.TIED))) {
      Autograd.requireGradients(model.parameters().values());
      freeUnreachableNativeObjects();
      long before = -1;
      for (int step = 0; step < 5; step++) {
        try (TensorScope scope = new TensorScope()) {
          Tensor ids = Fixtures.batch(0, "input_ids");
          Tensor labels = Fixtures.batch(0, "labels");
          try (Autograd.Recording r = Autograd.record()) {
            r.backward(CausalLmLoss.loss(model.logits(ids), labels));
          }
          assertNotNull(Autograd.gradient(model.parameters().get("model.norm.weight")));
        }
        Autograd.zeroGradients(model.parameters().values());
        long now = Pointer.totalCount();
        if (before >= 0) {
          assertTrue(now <= before, "native objects grew at step " + step + ": " + before + " -> " + now);
        }
        before = now;
      }
    }
  }

  /** Runs the collector until JavaCPP's deallocator thread has freed everything unreachable. */
  private static void freeUnreachableNativeObjects() throws InterruptedException {
    long last = -1;
    for (int round = 0; round < 50; round++) {
      System.gc();
      Thread.sleep(20);
      long now = Pointer.totalCount();
      if (now == last) return;
      last = now;
    }
  }

  /**
   * Nothing autograd saves may live in memory the Java GC can free: with the GC run and freed Java
   * memory refilled with NaN between forward and backward, the gradients must still be PyTorch's.
   * On the old engine (DJL) the rotary tables and Java-number scalars were read after being freed,
   * which turned long runs' gradients to NaN now and then; here every tensor is libtorch's. Backward
   * is seeded with 0.5, as the trainer scales a micro-batch under gradient accumulation.
   */
  @Test
  void gradientsSurviveTheGarbageCollectorBetweenForwardAndBackward() throws Exception {
    try (TensorScope scope = new TensorScope();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.UNTIED))) {
      Map<String, Tensor> golden = Safetensors.read(Fixtures.model(Fixtures.UNTIED).resolve("golden.safetensors"), Device.CPU);
      Autograd.requireGradients(model.parameters().values());
      Tensor ids = Fixtures.batch(0, "input_ids");
      Tensor labels = Fixtures.batch(0, "labels");
      int t = Math.toIntExact(ids.size(1));
      try (Autograd.Recording r = Autograd.record()) {
        Tensor loss = CausalLmLoss.loss(model.logits(ids), labels);
        var poison = FreedMemoryPoison.spread(4, 8, t * model.config().headDim() * Float.BYTES, t * t * Float.BYTES);
        r.backward(loss, 0.5); // as the trainer does with accumulation 2
        java.lang.ref.Reference.reachabilityFence(poison); // the poisoned blocks stay taken through backward
      }
      for (Map.Entry<String, Tensor> p : model.parameters().entrySet()) {
        float[] grad = Tensors.toFloats(Autograd.gradient(p.getValue()));
        for (int i = 0; i < grad.length; i++) grad[i] *= 2;
        double err = Fixtures.relativeError(grad, Tensors.toFloats(golden.get("grad." + p.getKey())));
        assertTrue(err <= 1e-4, p.getKey() + " gradient relative error " + err);
      }
    }
  }

  @Test
  void zeroGradientsClearsAccumulation() throws Exception {
    try (TensorScope scope = new TensorScope();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.UNTIED))) {
      Autograd.requireGradients(model.parameters().values());
      assertEquals(0.0, gradNorm(model));
      Tensor ids = Fixtures.batch(0, "input_ids");
      Tensor labels = Fixtures.batch(0, "labels");
      double once = backwardNorm(model, ids, labels);
      double twice = backwardNorm(model, ids, labels); // accumulated: twice the gradient
      assertEquals(2 * once, twice, 1e-5 * once);
      Autograd.zeroGradients(model.parameters().values());
      assertEquals(0.0, gradNorm(model));
      assertEquals(once, backwardNorm(model, ids, labels), 1e-6 * once);
    }
  }

  private static double gradNorm(LlamaForCausalLM model) {
    List<Tensor> grads = new ArrayList<>();
    for (Tensor p : model.parameters().values()) {
      Tensor g = Autograd.gradient(p);
      if (g != null) grads.add(g);
    }
    return GradientClipping.globalNorm(grads);
  }

  private static double backwardNorm(LlamaForCausalLM model, Tensor ids, Tensor labels) {
    try (TensorScope scope = new TensorScope(); Autograd.Recording r = Autograd.record()) {
      r.backward(CausalLmLoss.loss(model.logits(ids), labels));
    }
    return gradNorm(model);
  }

  @Test
  void twoThreadsTrainAtOnceWithTheirOwnGradMode() throws Exception {
    JsonNode golden = Fixtures.golden().get("models");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<double[]>> runs = new ArrayList<>();
      for (String name : List.of(Fixtures.UNTIED, Fixtures.TIED)) {
        runs.add(pool.submit(() -> {
          try (TensorScope scope = new TensorScope();
              LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(name))) {
            Autograd.requireGradients(model.parameters().values());
            Tensor ids = Fixtures.batch(0, "input_ids");
            Tensor labels = Fixtures.batch(0, "labels");
            double norm = 0;
            for (int i = 0; i < 20; i++) {
              Autograd.zeroGradients(model.parameters().values());
              norm = backwardNorm(model, ids, labels);
            }
            return new double[] {norm};
          }
        }));
      }
      assertEquals(golden.get(Fixtures.UNTIED).get("grad_global_norm_batch0").asDouble(),
          runs.get(0).get()[0], 1e-5);
      assertEquals(golden.get(Fixtures.TIED).get("grad_global_norm_batch0").asDouble(),
          runs.get(1).get()[0], 1e-5);
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void noGradBuildsNoGraph() throws Exception {
    try (TensorScope scope = new TensorScope();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.UNTIED))) {
      Autograd.requireGradients(model.parameters().values());
      Tensor ids = Fixtures.batch(0, "input_ids");
      Tensor labels = Fixtures.batch(0, "labels");
      Tensor detached;
      try (Autograd.Scope s = Autograd.noGrad()) {
        detached = CausalLmLoss.loss(model.logits(ids), labels);
      }
      assertFalse(detached.requires_grad());
      try (Autograd.Recording r = Autograd.record()) {
        assertThrows(RuntimeException.class, () -> r.backward(detached));
        r.backward(CausalLmLoss.loss(model.logits(ids), labels));
      }
      assertTrue(gradNorm(model) > 0);
    }
  }

  @Test
  void padTokenEmbeddingGetsNoGradientAsWithHfPaddingIdx() throws Exception {
    try (TensorScope scope = new TensorScope();
        LlamaForCausalLM fixture = LlamaForCausalLM.load(Fixtures.model(Fixtures.UNTIED))) {
      int pad = (int) Tensors.toLongs(Fixtures.batch(0, "input_ids"))[3]; // a token the batch uses
      Path dir = tmp.resolve("padded");
      fixture.save(dir, DType.F32);
      var cfg = fixture.config();
      new LlamaConfig(cfg.vocabSize(), cfg.hiddenSize(), cfg.intermediateSize(),
          cfg.numHiddenLayers(), cfg.numAttentionHeads(), cfg.numKeyValueHeads(), cfg.headDim(),
          cfg.rmsNormEps(), cfg.ropeTheta(), cfg.ropeScaling(), cfg.maxPositionEmbeddings(), false,
          cfg.bosTokenId(), cfg.eosTokenIds(), pad, cfg.initializerRange(), cfg.torchDtype(),
          cfg.extra()).write(dir.resolve("config.json"));
      try (LlamaForCausalLM padded = LlamaForCausalLM.load(dir)) {
        Tensor ids = Fixtures.batch(0, "input_ids");
        Tensor labels = Fixtures.batch(0, "labels");
        Autograd.requireGradients(padded.parameters().values());
        Autograd.requireGradients(fixture.parameters().values());
        float[] withPad = gradRow(padded, ids, labels, pad);
        float[] without = gradRow(fixture, ids, labels, pad);
        for (float v : withPad) assertEquals(0f, v);
        boolean any = false;
        for (float v : without) any |= v != 0f;
        assertTrue(any, "the row has a gradient otherwise");
        try (Autograd.Scope s = Autograd.noGrad()) {
          assertArrayEquals(Tensors.toFloats(fixture.logits(ids)), Tensors.toFloats(padded.logits(ids)));
        }
      }
    }
  }

  private static float[] gradRow(LlamaForCausalLM model, Tensor ids, Tensor labels, int row) {
    try (Autograd.Recording r = Autograd.record()) {
      r.backward(CausalLmLoss.loss(model.logits(ids), labels));
    }
    return Tensors.toFloats(Autograd.gradient(model.parameters().get("model.embed_tokens.weight")).select(0, row));
  }

  /** The fused SDPA kernel gives PyTorch's logits and gradients as the eager path does. */
  @Test
  void sdpaAttentionMatchesTheFixtures() throws Exception {
    for (String name : List.of(Fixtures.UNTIED, Fixtures.TIED)) {
      try (TensorScope scope = new TensorScope();
          LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(name))) {
        model.setAttention(LlamaForCausalLM.AttentionKernel.SDPA);
        Map<String, Tensor> golden = Safetensors.read(Fixtures.model(name).resolve("golden.safetensors"), Device.CPU);
        Autograd.requireGradients(model.parameters().values());
        Tensor ids = Fixtures.batch(0, "input_ids");
        try (Autograd.Recording r = Autograd.record()) {
          Tensor logits = model.logits(ids);
          double err = Fixtures.relativeError(Tensors.toFloats(logits), Tensors.toFloats(golden.get("logits")));
          assertTrue(err <= 1e-4, name + " logits relative error " + err);
          r.backward(CausalLmLoss.loss(logits, Fixtures.batch(0, "labels")));
        }
        for (Map.Entry<String, Tensor> p : model.parameters().entrySet()) {
          double err = Fixtures.relativeError(Tensors.toFloats(Autograd.gradient(p.getValue())),
              Tensors.toFloats(golden.get("grad." + p.getKey())));
          assertTrue(err <= 1e-4, name + " " + p.getKey() + " gradient relative error " + err);
        }
      }
    }
  }

  /**
   * HF's {@code bf16=True}: under autocast the fixture batch's loss stays within 1e-2 (relative) of
   * float32, the matmuls really run in bfloat16 (the loss differs), and parameters and gradients
   * stay float32; with either attention kernel (on CPUs SDPA computes in float32 under bf16).
   */
  @ParameterizedTest
  @EnumSource(LlamaForCausalLM.AttentionKernel.class)
  void bf16AutocastStaysCloseToFloat32WithFloat32Gradients(LlamaForCausalLM.AttentionKernel kernel) throws Exception {
    for (String name : List.of(Fixtures.UNTIED, Fixtures.TIED)) {
      try (TensorScope scope = new TensorScope();
          LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(name))) {
        model.setAttention(kernel);
        Tensor ids = Fixtures.batch(0, "input_ids");
        Tensor labels = Fixtures.batch(0, "labels");
        double loss32 = lossOf(model, ids, labels, false);
        double loss16 = lossOf(model, ids, labels, true);
        System.out.printf("%s %s loss float32 %.6f, bf16 autocast %.6f%n", name, kernel, loss32, loss16);
        assertNotEquals(loss32, loss16, "bf16 matmuls change the loss");
        assertEquals(loss32, loss16, 1e-2 * loss32);
        Autograd.requireGradients(model.parameters().values());
        try (Autograd.Recording r = Autograd.record()) {
          Tensor loss;
          try (Autocast a = Autocast.bf16(Device.CPU)) {
            Tensor logits = model.logits(ids);
            assertTrue(Tensors.isBf16(logits), "the head's matmul ran in bf16");
            loss = CausalLmLoss.loss(logits, labels);
          }
          assertTrue(Tensors.isFloat32(loss));
          r.backward(loss);
        }
        for (Map.Entry<String, Tensor> p : model.parameters().entrySet()) {
          assertTrue(Tensors.isFloat32(p.getValue()), p.getKey());
          assertTrue(Tensors.isFloat32(Autograd.gradient(p.getValue())), p.getKey() + " gradient");
        }
      }
    }
  }

  private static double lossOf(LlamaForCausalLM model, Tensor ids, Tensor labels, boolean bf16) {
    try (TensorScope scope = new TensorScope(); Autograd.Scope s = Autograd.noGrad();
        Autocast a = Autocast.bf16If(bf16, Device.CPU)) {
      return Tensors.value(CausalLmLoss.loss(model.logits(ids), labels));
    }
  }
}
