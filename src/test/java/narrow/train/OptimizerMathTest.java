package narrow.train;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import narrow.model.io.Safetensors;

/** Schedule, clipping and AdamW against PyTorch's answers in the goldens. */
class OptimizerMathTest {
  static final double TOL = 1e-4;

  @Test
  void cosineWithWarmupMatchesHf() throws Exception {
    JsonNode c = goldenJson().get("cosine_with_warmup");
    LrSchedule s = LrSchedule.cosineWithWarmup(c.get("peak_lr").asDouble(),
        c.get("warmup_steps").asLong(), c.get("total_steps").asLong());
    JsonNode lr = c.get("lr");
    assertEquals(101, lr.size());
    for (int step = 0; step < lr.size(); step++) {
      double want = lr.get(step).asDouble();
      double got = s.lr(step);
      assertEquals(want, got, Math.max(1e-12, TOL * Math.abs(want)), "step " + step);
    }
  }

  @Test
  void clipCoefficientClampsAtOne() {
    assertEquals(1.0, GradientClipping.coefficient(0.5, 1.0));
    assertEquals(1.0 / (4.0 + 1e-6), GradientClipping.coefficient(4.0, 1.0), 1e-15);
  }

  @ParameterizedTest
  @ValueSource(strings = {"untied-mha", "tied-gqa-bf16"})
  void clippingAndOneAdamWStepMatchTorch(String modelName) throws Exception {
    JsonNode golden = goldenJson().get("models").get(modelName);
    JsonNode adamw = golden.get("adamw");
    Path dir = fixtures().resolve(modelName);
    try (TensorScope scope = new TensorScope()) {
      Map<String, Tensor> params = Safetensors.read(dir.resolve("model.safetensors"), Device.CPU);
      Map<String, Tensor> goldenTensors = Safetensors.read(dir.resolve("golden.safetensors"), Device.CPU);
      Map<String, Tensor> grads = new LinkedHashMap<>();
      for (String name : params.keySet()) {
        grads.put(name, goldenTensors.get("grad." + name));
        assertNotNull(grads.get(name), "grad." + name);
      }

      double norm = GradientClipping.globalNorm(grads.values());
      assertRel(golden.get("grad_global_norm_batch0").asDouble(), norm, "global norm");
      assertRel(golden.get("clip_coefficient").asDouble(),
          GradientClipping.coefficient(norm, adamw.get("max_grad_norm").asDouble()), "clip coefficient");
      List<Tensor> before = new ArrayList<>();
      for (Tensor g : grads.values()) before.add(g.clone());
      assertEquals(norm, GradientClipping.clip(grads.values(), 1.0), 0.0);
      assertRel(1.0, GradientClipping.globalNorm(grads.values()), "norm after clipping");

      Set<String> noDecay = new HashSet<>();
      adamw.get("no_weight_decay").forEach(n -> noDecay.add(n.asText()));
      for (String name : params.keySet()) {
        assertEquals(!noDecay.contains(name), AdamW.hfDecays().test(name), name);
      }
      AdamW.Settings settings = new AdamW.Settings(adamw.get("betas").get(0).asDouble(),
          adamw.get("betas").get(1).asDouble(), adamw.get("eps").asDouble(),
          adamw.get("weight_decay").asDouble());
      try (AdamW opt = new AdamW(settings, AdamW.hfDecays())) {
        opt.step(params, grads, adamw.get("lr").asDouble());
        assertEquals(1, opt.stepCount());
        for (String name : params.keySet()) {
          Tensor want = goldenTensors.get("adamw_step1." + name);
          assertNotNull(want, "adamw_step1." + name);
          assertClose(want, params.get(name), name);
        }
        assertEquals(2 * params.size(), opt.stateTensors().size());
      }
    }
  }

  static Path fixtures() {
    return narrow.model.Fixtures.root();
  }

  static JsonNode goldenJson() throws java.io.IOException {
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(fixtures().resolve("golden.json").toFile());
  }

  static void assertRel(double want, double got, String what) {
    assertEquals(want, got, TOL * Math.abs(want), what);
  }

  /** Relative error against the tensor's scale: max |got - want| / max |want|. */
  static void assertClose(Tensor want, Tensor got, String what) {
    assertArrayEquals(Tensors.shape(want), Tensors.shape(got), what);
    float[] w = Tensors.toFloats(want), g = Tensors.toFloats(got);
    double maxDiff = 0, scale = 0;
    for (int i = 0; i < w.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(w[i] - g[i]));
      scale = Math.max(scale, Math.abs(w[i]));
    }
    assertTrue(maxDiff <= TOL * scale, what + ": max diff " + maxDiff + " vs scale " + scale);
  }
}
