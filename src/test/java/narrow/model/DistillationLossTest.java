package narrow.model;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import narrow.engine.Autograd;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.io.Safetensors;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The distillation loss against PyTorch's answers ({@code golden.json}'s {@code distillation}:
 * student {@code untied-mha} in float32, teacher {@code tied-gqa-bf16} upcast, batch 0,
 * temperature 2, alpha 0.5) and the student's gradients ({@code distill_grad.*}, in our own
 * goldens only), both as training computes them (fused, the gradient written over the teacher's
 * logits) and in the study's form through autograd.
 */
class DistillationLossTest {
  /** Measured: kd 3e-6 fused (Σ p·(log p − log q) against torch's xlogy form), the rest 1e-7. */
  private static final double LOSS_TOLERANCE = 1e-5;
  /** The bound for float32; measured 8e-7 (fused) and 7e-7 (the study's form). */
  private static final double GRADIENT_TOLERANCE = 1e-5;

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void lossesAndStudentGradientsMatchPyTorch(boolean fused) throws Exception {
    JsonNode golden = Fixtures.golden().get("distillation");
    String studentName = golden.get("student").asText();
    String teacherName = golden.get("teacher").asText();
    double temperature = golden.get("temperature").asDouble();
    double alpha = golden.get("alpha").asDouble();
    try (TensorScope scope = new TensorScope();
        LlamaForCausalLM student = LlamaForCausalLM.load(Fixtures.model(studentName));
        LlamaForCausalLM teacher = LlamaForCausalLM.load(Fixtures.model(teacherName))) {
      Tensor ids = Fixtures.batch(0, "input_ids");
      Tensor labels = Fixtures.batch(0, "labels");
      Tensor teacherLogits;
      // fused: as training takes them, inference tensors the gradient is then written over
      try (Autograd.Scope noGrad = fused ? null : Autograd.noGrad();
          Autograd.Inference inference = fused ? Autograd.inference() : null) {
        teacherLogits = teacher.logits(ids);
      }
      Autograd.requireGradients(student.parameters().values());
      DistillationLoss.Losses losses;
      try (Autograd.Recording r = Autograd.record()) {
        Tensor logits = student.logits(ids);
        if (fused) {
          DistillationLoss.WithGradient w =
              DistillationLoss.withGradientOverTeacher(logits, teacherLogits, labels, temperature, alpha, 1);
          losses = w.losses();
          w.backward(r);
        } else {
          losses = DistillationLoss.reference(logits, teacherLogits, labels, temperature, alpha);
          r.backward(losses.combined());
        }
      }
      assertRelative(golden.get("combined_loss").asDouble(), losses.combined(), LOSS_TOLERANCE, "combined_loss");
      assertRelative(golden.get("student_ce").asDouble(), losses.studentCe(), LOSS_TOLERANCE, "student_ce");
      assertRelative(golden.get("kd_loss").asDouble(), losses.kd(), LOSS_TOLERANCE, "kd_loss");
      // the teacher's CE on the same labels is its own causal-LM loss on batch 0
      assertRelative(Fixtures.golden().get("models").get(teacherName).get("loss_batch0").asDouble(),
          losses.teacherCe(), LOSS_TOLERANCE, "teacher_ce_loss");

      Path gradients = Fixtures.model(studentName).resolve("distillation.safetensors");
      if (!Files.isRegularFile(gradients)) {
        // another fixture set, with the distillation values but without their gradients: the
        // losses above are its check
        System.out.println("no " + gradients + ": the student's gradients are checked against our own goldens only");
        return;
      }
      Map<String, Tensor> expected = Safetensors.read(gradients, Device.CPU);
      double worst = 0;
      for (Map.Entry<String, Tensor> p : student.parameters().entrySet()) {
        Tensor want = expected.get("distill_grad." + p.getKey());
        assertNotNull(want, gradients + " has no distill_grad." + p.getKey());
        Tensor grad = Autograd.gradient(p.getValue());
        assertNotNull(grad, "no gradient for " + p.getKey());
        double err = Fixtures.relativeError(Tensors.toFloats(grad), Tensors.toFloats(want));
        worst = Math.max(worst, err);
        assertTrue(err <= GRADIENT_TOLERANCE, p.getKey() + " gradient relative error " + err);
      }
      System.out.printf("distillation (%s): worst student gradient relative error %.3g%n",
          fused ? "fused" : "study's form", worst);
    }
  }

  /**
   * The [B, T, V] arrangement on its own: the CE's labels shifted, the KL over the positions whose
   * own label counts (so position 0 is in the KL, and the last position of a full row too, while
   * the position before an ignored label is in the KL but not in the CE), fused and unfused alike.
   */
  @Test
  void fusedIsTheStudysFormOnBatches() {
    int b = 2, t = 6, v = 11;
    double temperature = 2, alpha = 0.3, scale = 0.5;
    try (TensorScope scope = new TensorScope()) {
      Tensor student = randomLogits(b, t, v, 5);
      Tensor teacher = randomLogits(b, t, v, 6);
      long[] labelValues = new long[b * t];
      SplittableRandom random = new SplittableRandom(7);
      for (int i = 0; i < labelValues.length; i++) labelValues[i] = random.nextInt(v);
      labelValues[4] = labelValues[5] = CausalLmLoss.IGNORE_INDEX;
      labelValues[t + 2] = CausalLmLoss.IGNORE_INDEX;
      Tensor labels = Tensors.longs(labelValues, b, t);

      Tensor leaf = student.detach().clone();
      Autograd.requireGradients(java.util.List.of(leaf));
      DistillationLoss.Losses expected;
      try (Autograd.Recording r = Autograd.record()) {
        expected = DistillationLoss.reference(leaf, teacher, labels, temperature, alpha);
        r.backward(expected.combined(), scale);
      }
      DistillationLoss.WithGradient fused =
          DistillationLoss.withGradient(student, teacher, labels, temperature, alpha, scale);
      assertRelative(Tensors.value(expected.combined()), fused.losses().combined(), 1e-6, "combined");
      assertRelative(Tensors.value(expected.kd()), fused.losses().kd(), 1e-6, "kd");
      assertRelative(Tensors.value(expected.studentCe()), fused.losses().studentCe(), 1e-6, "student CE");
      assertArrayEquals(Tensors.shape(student), Tensors.shape(fused.logitsGradient()));
      float[] want = Tensors.toFloats(Autograd.gradient(leaf));
      float[] got = Tensors.toFloats(fused.logitsGradient());
      assertTrue(Fixtures.relativeError(got, want) <= 1e-6, "gradient relative error " + Fixtures.relativeError(got, want));
      // position 4 of row 0: its label is ignored, so it is in neither term; position 3 predicts
      // that ignored label but its own label counts: KL only
      for (int k = 0; k < v; k++) assertEquals(0f, got[4 * v + k], "position 4 takes no gradient");
      // and the last position of row 1, which predicts nothing, is distilled too
      assertTrue(rowIsNonzero(got, 3, v), "position 3 of row 0 is distilled");
      assertTrue(rowIsNonzero(got, 2 * t - 1, v), "the last position of row 1 is distilled");
    }
  }

  private static boolean rowIsNonzero(float[] values, int row, int v) {
    for (int k = 0; k < v; k++) if (values[row * v + k] != 0f) return true;
    return false;
  }

  private static Tensor randomLogits(int b, int t, int v, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[b * t * v];
    for (int i = 0; i < values.length; i++) values[i] = (float) (random.nextGaussian() * 2);
    return Tensors.floats(values, b, t, v);
  }

  private static void assertRelative(double expected, Tensor actual, double tolerance, String what) {
    double value = Tensors.value(actual);
    double error = Math.abs(value - expected) / Math.abs(expected);
    System.out.printf("%s %.9g expected %.9g relative error %.3g%n", what, value, expected, error);
    assertTrue(error <= tolerance, what + " " + value + " vs PyTorch's " + expected + ": relative error " + error);
  }
}
