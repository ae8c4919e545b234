package narrow.model;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.concurrent.*;
import narrow.model.io.DType;
import narrow.model.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaModelTest {
  @TempDir Path tmp;

  @Test
  void saveThenLoadGivesBitIdenticalParametersAndLogits() throws Exception {
    for (String name : List.of(Fixtures.UNTIED, Fixtures.TIED)) {
      try (NDManager m = NDManager.newBaseManager();
          LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(name), m)) {
        Path dir = tmp.resolve(name);
        model.save(dir, DType.F32);
        assertEquals(model.config().tieWordEmbeddings(),
            !Safetensors.readHeader(dir.resolve("model.safetensors")).tensors().containsKey("lm_head.weight"));
        try (LlamaForCausalLM back = LlamaForCausalLM.load(dir, m)) {
          assertEquals(model.config().withTorchDtype("float32"), back.config());
          assertEquals(List.copyOf(model.parameters().keySet()), List.copyOf(back.parameters().keySet()));
          for (String p : model.parameters().keySet()) {
            assertArrayEquals(model.parameters().get(p).toFloatArray(),
                back.parameters().get(p).toFloatArray(), p);
          }
          NDArray ids = Fixtures.batch(m, 0, "input_ids");
          try (Autograd.Scope s = Autograd.noGrad()) {
            assertArrayEquals(model.logits(ids).toFloatArray(), back.logits(ids).toFloatArray());
          }
        }
        // the bf16 fixture holds bf16 values, so a BF16 save reproduces them exactly too
        if (name.equals(Fixtures.TIED)) {
          Path bf16 = tmp.resolve("bf16");
          model.save(bf16, DType.BF16);
          assertEquals("bfloat16", LlamaConfig.read(bf16.resolve("config.json")).torchDtype());
          try (LlamaForCausalLM back = LlamaForCausalLM.load(bf16, m)) {
            for (String p : model.parameters().keySet()) {
              assertArrayEquals(model.parameters().get(p).toFloatArray(),
                  back.parameters().get(p).toFloatArray(), p);
            }
          }
        }
      }
    }
  }

  @Test
  void intAndLongTokenIdsGiveTheSameLogits() throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.TIED), m);
        Autograd.Scope s = Autograd.noGrad()) {
      NDArray ids = Fixtures.batch(m, 0, "input_ids");
      NDArray intIds = ids.toType(ai.djl.ndarray.types.DataType.INT32, true);
      NDArray logits = model.logits(ids);
      assertEquals(new Shape(3, 24, 320), logits.getShape());
      assertArrayEquals(logits.toFloatArray(), model.logits(intIds).toFloatArray());
      assertEquals(ai.djl.ndarray.types.DataType.INT32, intIds.getDataType(), "input left as it was");
    }
  }

  @Test
  void loadRejectsCheckpointsThatDoNotFitTheConfig() throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.UNTIED), m)) {
      Path dir = tmp.resolve("broken");
      model.save(dir, DType.F32);
      Map<String, NDArray> missing = new LinkedHashMap<>(model.parameters());
      missing.remove("model.layers.1.mlp.up_proj.weight");
      Safetensors.write(dir.resolve("model.safetensors"), missing, DType.F32, Map.of("format", "pt"));
      Exception e = assertThrows(java.io.IOException.class, () -> LlamaForCausalLM.load(dir, m));
      assertTrue(e.getMessage().contains("model.layers.1.mlp.up_proj.weight"), e.getMessage());

      Map<String, NDArray> extra = new LinkedHashMap<>(model.parameters());
      extra.put("model.layers.0.mlp.bias", m.zeros(new Shape(3)));
      Safetensors.write(dir.resolve("model.safetensors"), extra, DType.F32, Map.of("format", "pt"));
      e = assertThrows(java.io.IOException.class, () -> LlamaForCausalLM.load(dir, m));
      assertTrue(e.getMessage().contains("unexpected tensor 'model.layers.0.mlp.bias'"), e.getMessage());
    }
  }

  @Test
  void shardedSaveLoadsBack() throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.UNTIED), m)) {
      Path dir = Files.createDirectories(tmp.resolve("sharded"));
      model.config().write(dir.resolve("config.json"));
      Safetensors.writeCheckpoint(dir, model.parameters(), DType.F32, 100_000);
      assertTrue(Files.exists(dir.resolve(Safetensors.INDEX_FILE)));
      try (LlamaForCausalLM back = LlamaForCausalLM.load(dir, m)) {
        for (String p : model.parameters().keySet()) {
          assertArrayEquals(model.parameters().get(p).toFloatArray(),
              back.parameters().get(p).toFloatArray(), p);
        }
      }
    }
  }

  @Test
  void forwardAndBackwardLeaveNoArraysBehind() throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.TIED), m)) {
      Autograd.requireGradients(model.parameters().values());
      BaseNDManager modelManager = (BaseNDManager) m;
      int before = -1;
      for (int step = 0; step < 5; step++) {
        try (NDManager stepManager = m.newSubManager()) {
          NDArray ids = Fixtures.batch(stepManager, 0, "input_ids");
          NDArray labels = Fixtures.batch(stepManager, 0, "labels");
          try (Autograd.Recording r = Autograd.record()) {
            NDArray loss = CausalLmLoss.loss(model.logits(ids), labels);
            r.backward(loss);
          }
          NDArray g = Autograd.gradient(model.parameters().get("model.norm.weight"), stepManager);
          assertNotNull(g);
          // what the step created: ids, labels, logits, loss, the gradient view
          assertEquals(5, ((BaseNDManager) stepManager).getManagedArrays().size());
        }
        Autograd.zeroGradients(model.parameters().values());
        int now = modelManager.getManagedArrays().size();
        if (before >= 0) assertEquals(before, now, "model manager grew at step " + step);
        before = now;
      }
      assertEquals(model.parameters().size(), before, "only the parameters live in the model's manager");
    }
  }

  /**
   * The forward pass closes its intermediates before backward runs; nothing autograd saved may
   * live in Java memory the GC frees with them (see {@link TorchOwned}). With the GC run and freed
   * memory refilled with NaN between forward and backward, the gradients must still be PyTorch's.
   * Before the fix, the rotary tables and DJL's Java-number scalars were read after being freed,
   * which turned long runs' gradients to NaN now and then. Backward is seeded with 0.5, as the
   * trainer scales a micro-batch under gradient accumulation.
   */
  @Test
  void gradientsSurviveTheGarbageCollectorBetweenForwardAndBackward() throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.UNTIED), m)) {
      Map<String, NDArray> golden = Safetensors.read(Fixtures.model(Fixtures.UNTIED).resolve("golden.safetensors"), m);
      Autograd.requireGradients(model.parameters().values());
      NDArray ids = Fixtures.batch(m, 0, "input_ids");
      NDArray labels = Fixtures.batch(m, 0, "labels");
      int t = Math.toIntExact(ids.getShape().get(1));
      try (Autograd.Recording r = Autograd.record()) {
        NDArray loss = CausalLmLoss.loss(model.logits(ids), labels);
        var poison = FreedMemoryPoison.spread(4, 8, t * model.config().headDim() * Float.BYTES, t * t * Float.BYTES);
        r.backward(loss, 0.5); // as the trainer does with accumulation 2
        assertFalse(poison.isEmpty());
      }
      for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
        NDArray grad = Autograd.gradient(p.getValue(), m).mul(2);
        double err = Fixtures.relativeError(grad.toFloatArray(), golden.get("grad." + p.getKey()).toFloatArray());
        assertTrue(err <= 1e-4, p.getKey() + " gradient relative error " + err);
      }
    }
  }

  @Test
  void zeroGradientsClearsAccumulation() throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.UNTIED), m)) {
      Autograd.requireGradients(model.parameters().values());
      assertEquals(0.0, Autograd.globalGradientNorm(model.parameters().values()));
      NDArray ids = Fixtures.batch(m, 0, "input_ids");
      NDArray labels = Fixtures.batch(m, 0, "labels");
      double once = backwardNorm(model, ids, labels);
      double twice = backwardNorm(model, ids, labels); // accumulated: twice the gradient
      assertEquals(2 * once, twice, 1e-5 * once);
      Autograd.zeroGradients(model.parameters().values());
      assertEquals(0.0, Autograd.globalGradientNorm(model.parameters().values()));
      assertEquals(once, backwardNorm(model, ids, labels), 1e-6 * once);
    }
  }

  private static double backwardNorm(LlamaForCausalLM model, NDArray ids, NDArray labels) {
    try (Autograd.Recording r = Autograd.record()) {
      r.backward(CausalLmLoss.loss(model.logits(ids), labels));
    }
    return Autograd.globalGradientNorm(model.parameters().values());
  }

  @Test
  void twoThreadsTrainAtOnceWithTheirOwnGradMode() throws Exception {
    JsonNode golden = Fixtures.golden().get("models");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<double[]>> runs = new ArrayList<>();
      for (String name : List.of(Fixtures.UNTIED, Fixtures.TIED)) {
        runs.add(pool.submit(() -> {
          try (NDManager m = NDManager.newBaseManager();
              LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(name), m)) {
            Autograd.requireGradients(model.parameters().values());
            NDArray ids = Fixtures.batch(m, 0, "input_ids");
            NDArray labels = Fixtures.batch(m, 0, "labels");
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
    try (NDManager m = NDManager.newBaseManager();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.UNTIED), m)) {
      Autograd.requireGradients(model.parameters().values());
      NDArray ids = Fixtures.batch(m, 0, "input_ids");
      NDArray labels = Fixtures.batch(m, 0, "labels");
      NDArray detached;
      try (Autograd.Scope s = Autograd.noGrad()) {
        detached = CausalLmLoss.loss(model.logits(ids), labels);
      }
      try (Autograd.Recording r = Autograd.record()) {
        assertThrows(ai.djl.engine.EngineException.class, () -> r.backward(detached));
        r.backward(CausalLmLoss.loss(model.logits(ids), labels));
      }
      assertTrue(Autograd.globalGradientNorm(model.parameters().values()) > 0);
    }
  }

  @Test
  void padTokenEmbeddingGetsNoGradientAsWithHfPaddingIdx() throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        LlamaForCausalLM fixture = LlamaForCausalLM.load(Fixtures.model(Fixtures.UNTIED), m)) {
      int pad = (int) Fixtures.batch(m, 0, "input_ids").getLong(0, 3); // a token the batch uses
      Path dir = tmp.resolve("padded");
      fixture.save(dir, DType.F32);
      var cfg = fixture.config();
      new LlamaConfig(cfg.vocabSize(), cfg.hiddenSize(), cfg.intermediateSize(),
          cfg.numHiddenLayers(), cfg.numAttentionHeads(), cfg.numKeyValueHeads(), cfg.headDim(),
          cfg.rmsNormEps(), cfg.ropeTheta(), cfg.ropeScaling(), cfg.maxPositionEmbeddings(), false,
          cfg.bosTokenId(), cfg.eosTokenIds(), pad, cfg.initializerRange(), cfg.torchDtype(),
          cfg.extra()).write(dir.resolve("config.json"));
      try (LlamaForCausalLM padded = LlamaForCausalLM.load(dir, m)) {
        NDArray ids = Fixtures.batch(m, 0, "input_ids");
        NDArray labels = Fixtures.batch(m, 0, "labels");
        Autograd.requireGradients(padded.parameters().values());
        Autograd.requireGradients(fixture.parameters().values());
        float[] withPad = gradRow(padded, ids, labels, pad, m);
        float[] without = gradRow(fixture, ids, labels, pad, m);
        for (float v : withPad) assertEquals(0f, v);
        assertTrue(Arrays.stream(box(without)).anyMatch(v -> v != 0f), "the row has a gradient otherwise");
        try (Autograd.Scope s = Autograd.noGrad()) {
          assertArrayEquals(fixture.logits(ids).toFloatArray(), padded.logits(ids).toFloatArray());
        }
      }
    }
  }

  private static float[] gradRow(LlamaForCausalLM model, NDArray ids, NDArray labels, int row,
      NDManager m) {
    try (Autograd.Recording r = Autograd.record()) {
      r.backward(CausalLmLoss.loss(model.logits(ids), labels));
    }
    return Autograd.gradient(model.parameters().get("model.embed_tokens.weight"), m)
        .get(row).toFloatArray();
  }

  private static Float[] box(float[] a) {
    Float[] out = new Float[a.length];
    for (int i = 0; i < a.length; i++) out[i] = a[i];
    return out;
  }

  @Test
  void halfPrecisionMatmulsStayCloseToFloat32AndRefuseGradMode() throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.TIED), m)) {
      NDArray ids = Fixtures.batch(m, 0, "input_ids");
      NDArray labels = Fixtures.batch(m, 0, "labels");
      float loss32 = lossOf(model, ids, labels);
      model.setHalfPrecisionMatmuls(true);
      int arraysBefore = ((BaseNDManager) m).getManagedArrays().size();
      float loss16 = lossOf(model, ids, labels);
      assertEquals(arraysBefore + 2, ((BaseNDManager) m).getManagedArrays().size(),
          "only the logits and the loss stay; the float16 weight copies are freed");
      assertNotEquals(loss32, loss16, "float16 matmuls change the last bits");
      assertEquals(loss32, loss16, 1e-3 * loss32);
      Autograd.requireGradients(model.parameters().values());
      try (Autograd.Recording r = Autograd.record()) {
        assertThrows(IllegalStateException.class, () -> model.logits(ids));
      }
    }
  }

  private static float lossOf(LlamaForCausalLM model, NDArray ids, NDArray labels) {
    try (Autograd.Scope s = Autograd.noGrad()) {
      return CausalLmLoss.loss(model.logits(ids), labels).getFloat();
    }
  }
}
