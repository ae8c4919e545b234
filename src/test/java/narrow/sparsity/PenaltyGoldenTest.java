package narrow.sparsity;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.Fixtures;
import narrow.model.LlamaForCausalLM;
import narrow.model.LlamaWeights;
import narrow.model.io.Safetensors;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every named penalty's value and closed-form gradient against PyTorch's autograd on the fixture
 * models: the group lasso (l1_of_l2_of_mlps) in both sets of goldens, for both models; the other
 * six in the project's own (values for both models, the group forms' gradients for the untied one).
 */
class PenaltyGoldenTest {
  private static final double TOLERANCE = 1e-5;

  @ParameterizedTest
  @ValueSource(strings = {Fixtures.UNTIED, Fixtures.TIED})
  void groupLassoMatchesPyTorch(String name) throws Exception {
    JsonNode golden = Fixtures.golden().get("models").get(name);
    try (TensorScope scope = new TensorScope(); LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(name))) {
      Map<String, Tensor> expected = Safetensors.read(Fixtures.model(name).resolve("golden.safetensors"), Device.CPU);
      LlamaWeights<Tensor> grads = zerosLike(model);
      double value = Penalty.L1_OF_L2_OF_MLPS.apply(model.weights(), grads, 1.0);
      assertRelative(golden.get("group_lasso").asDouble(), value, "group_lasso");
      assertGradients(model, grads, expected, "group_lasso_grad.", "group_lasso");
    }
  }

  @ParameterizedTest
  @EnumSource(Penalty.class)
  void everyPenaltyMatchesPyTorch(Penalty penalty) throws Exception {
    for (String name : new String[] {Fixtures.UNTIED, Fixtures.TIED}) {
      JsonNode penalties = Fixtures.golden().get("models").get(name).get("penalties");
      assumeTrue(penalties != null, "this set of goldens has no penalties (only the project's own do)");
      try (TensorScope scope = new TensorScope();
          LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(name))) {
        LlamaWeights<Tensor> grads = zerosLike(model);
        double value = penalty.apply(model.weights(), grads, 2.0);
        assertRelative(penalties.get(penalty.studyName()).asDouble(), value, name + " " + penalty.studyName());
        assertEquals(value, penalty.value(model.weights()), 0, "value alone");
        if (penalty == Penalty.L1_SPARSITY_LOSS || penalty == Penalty.L1_SPARSITY_LOSS_MLPS) {
          assertSignGradients(model, grads, penalty == Penalty.L1_SPARSITY_LOSS_MLPS);
        } else if (name.equals(Fixtures.UNTIED) && penalty != Penalty.L1_OF_L2_OF_MLPS) {
          Path file = Fixtures.model(name).resolve("penalties.safetensors");
          Map<String, Tensor> expected = Safetensors.read(file, Device.CPU);
          scaleAll(grads, 0.5); // applied with weight 2
          assertGradients(model, grads, expected, "penalty_grad." + penalty.studyName() + ".", penalty.studyName());
        }
      }
    }
  }

  /** Where the goldens store no gradient of a parameter, the penalty gave it none (zero). */
  private static void assertGradients(LlamaForCausalLM model, LlamaWeights<Tensor> grads, Map<String, Tensor> expected,
      String prefix, String what) {
    Map<String, Tensor> byName = LlamaWeights.zip(LlamaWeights.names(model.config()), grads);
    int compared = 0;
    for (Map.Entry<String, Tensor> e : byName.entrySet()) {
      float[] got = Tensors.toFloats(e.getValue());
      Tensor want = expected.get(prefix + e.getKey());
      if (want == null) {
        for (float v : got) assertEquals(0f, v, what + ": " + e.getKey() + " should get no gradient");
        continue;
      }
      double err = Fixtures.relativeError(got, Tensors.toFloats(want));
      assertTrue(err <= TOLERANCE, what + " gradient of " + e.getKey() + ": relative error " + err);
      compared++;
    }
    assertTrue(compared > 0, what + ": no gradient compared");
  }

  private static void assertSignGradients(LlamaForCausalLM model, LlamaWeights<Tensor> grads, boolean mlpOnly) {
    LlamaWeights<Tensor> w = model.weights();
    for (int l = 0; l < w.layers().size(); l++) {
      for (int i = 0; i < 9; i++) {
        Tensor p = w.layers().get(l).all().get(i);
        Tensor g = grads.layers().get(l).all().get(i);
        boolean penalised = !mlpOnly || w.layers().get(l).mlp().contains(p);
        float[] pv = Tensors.toFloats(p);
        float[] gv = Tensors.toFloats(g);
        for (int k = 0; k < pv.length; k++) {
          assertEquals(penalised ? 2 * Math.signum(pv[k]) : 0f, gv[k], "layer " + l + " parameter " + i);
        }
      }
    }
  }

  private static LlamaWeights<Tensor> zerosLike(LlamaForCausalLM model) {
    return model.weights().map(t -> Tensors.zeros(Device.CPU, Tensors.shape(t)));
  }

  private static void scaleAll(LlamaWeights<Tensor> grads, double factor) {
    for (Tensor g : grads.all()) narrow.engine.Ops.scaleInPlace(g, factor);
  }

  private static void assertRelative(double want, double got, String what) {
    double err = Math.abs(got - want) / Math.abs(want);
    assertTrue(err <= TOLERANCE, what + ": " + got + " vs PyTorch's " + want + " (relative error " + err + ")");
  }
}
