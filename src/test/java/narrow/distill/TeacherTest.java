package narrow.distill;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import narrow.engine.Autocast;
import narrow.engine.Autograd;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.DistillationLoss;
import narrow.model.Fixtures;
import narrow.model.LlamaForCausalLM;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The teacher in bf16 when the student trains under bf16 autocast, in float32 otherwise, on the
 * goldens' pair (student {@code untied-mha}, teacher {@code tied-gqa-bf16}, a bf16 checkpoint):
 * the float32 teacher gives PyTorch's losses, the bf16 one the same within bf16's precision.
 */
class TeacherTest {
  /** float32 against PyTorch, as DistillationLossTest. */
  private static final double EXACT = 1e-5;
  /**
   * bf16 weights and a bf16 residual stream against float32, relative: bf16's precision, 2^-8.
   * Measured 2e-7 (combined), 6e-5 (kd), 6e-6 (teacher CE): this teacher's weights are bf16 on
   * disk, so only its activations are rounded.
   */
  private static final double BF16 = 0x1p-8;

  @Test
  void aFloat32TeacherGivesPyTorchsLossesAndABf16OneTheSameWithinBf16() throws Exception {
    JsonNode golden = Fixtures.golden().get("distillation");
    double temperature = golden.get("temperature").asDouble();
    double alpha = golden.get("alpha").asDouble();
    try (TensorScope scope = new TensorScope();
        LlamaForCausalLM student = LlamaForCausalLM.load(Fixtures.model(golden.get("student").asText()));
        Teacher f32 = Teacher.load(Fixtures.model(golden.get("teacher").asText()), Device.CPU, false);
        Teacher bf16 = Teacher.load(Fixtures.model(golden.get("teacher").asText()), Device.CPU, true)) {
      for (Tensor w : f32.model().parameters().values()) assertTrue(Tensors.isFloat32(w));
      for (Tensor w : bf16.model().parameters().values()) assertTrue(Tensors.isBf16(w), "bf16 weights");
      Tensor ids = Fixtures.batch(0, "input_ids");
      Tensor labels = Fixtures.batch(0, "labels");
      Tensor studentLogits;
      try (Autograd.Scope noGrad = Autograd.noGrad()) {
        studentLogits = student.logits(ids);
      }
      Tensor exactLogits = f32.logits(ids);
      Tensor bf16Logits;
      try (Autocast autocast = Autocast.bf16(Device.CPU)) {
        bf16Logits = bf16.logits(ids);
      }
      assertTrue(Tensors.isFloat32(exactLogits));
      assertTrue(Tensors.isBf16(bf16Logits));
      assertTrue(exactLogits.__dispatch_is_inference() && bf16Logits.__dispatch_is_inference(),
          "the teacher's forward runs under inference mode");
      DistillationLoss.Losses exact =
          DistillationLoss.withGradient(studentLogits, exactLogits, labels, temperature, alpha, 1).losses();
      DistillationLoss.Losses approx =
          DistillationLoss.withGradient(studentLogits, bf16Logits, labels, temperature, alpha, 1).losses();
      assertRelative(golden.get("combined_loss").asDouble(), exact.combined(), EXACT, "float32 combined");
      assertRelative(golden.get("kd_loss").asDouble(), exact.kd(), EXACT, "float32 kd");
      assertRelative(golden.get("combined_loss").asDouble(), approx.combined(), BF16, "bf16 combined");
      assertRelative(golden.get("kd_loss").asDouble(), approx.kd(), BF16, "bf16 kd");
      assertRelative(Tensors.value(exact.teacherCe()), approx.teacherCe(), BF16, "bf16 teacher CE");
      // it did run in bf16: float32 and bf16 teachers differ, by less than the bound
      assertNotEquals(Tensors.value(exact.kd()), Tensors.value(approx.kd()));
    }
  }

  /** A bf16 teacher runs under autocast of its own: a caller without autocast (an evaluation in float32) still gets logits. */
  @Test
  void aBf16TeacherNeedsNoAutocastFromItsCaller() throws Exception {
    try (TensorScope scope = new TensorScope();
        Teacher bf16 = Teacher.load(Fixtures.model(Fixtures.TIED), Device.CPU, true)) {
      assertFalse(Autocast.bf16Active(Device.CPU));
      assertTrue(Tensors.isBf16(bf16.logits(Fixtures.batch(0, "input_ids"))));
      assertFalse(Autocast.bf16Active(Device.CPU), "the caller's autocast state is as it was");
    }
  }

  private static void assertRelative(double expected, Tensor actual, double tolerance, String what) {
    double value = Tensors.value(actual);
    double err = Math.abs(value - expected) / Math.abs(expected);
    System.out.printf("%s: %.8g against %.8g, relative %.2e%n", what, value, expected, err);
    assertTrue(err <= tolerance, what + ": " + value + " against " + expected + ", relative " + err);
  }
}
