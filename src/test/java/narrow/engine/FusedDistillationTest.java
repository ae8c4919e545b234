package narrow.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The chunked distillation loss against the study's form through torch's own ops
 * ({@link FusedDistillation#unfused}) and autograd's gradient of it. Rows split into chunks that do
 * not divide them; ignored labels and rows left out of the KL fall in the first, middle and last
 * chunk, and the two sets differ (as the shifted CE labels and the unshifted KL rows do). bf16
 * logits are compared with the float32 reference on the same (bf16) values: the fused gradient is
 * torch's float32 one rounded once to bf16.
 */
class FusedDistillationTest {
  private static final long IGNORE = -100;
  private static final int ROWS = 37;
  private static final int VOCAB = 50;

  @ParameterizedTest
  @CsvSource({
      "false, 1, 2.0, 0.5",
      "false, 4, 2.0, 0.5",
      "false, 37, 2.0, 0.5",
      "false, 5, 1.0, 0.5",
      "false, 6, 0.7, 0.3",
      "false, 4, 2.0, 0.0",
      "false, 4, 2.0, 1.0",
      "true, 4, 2.0, 0.5",
      "true, 1000, 3.0, 0.25",
  })
  void lossesAndGradientAreTheStudysForm(boolean bf16, long chunkRows, double temperature, double alpha) {
    double scale = 0.25;
    try (TensorScope scope = new TensorScope()) {
      Tensor student = randomLogits(11, bf16);
      Tensor teacher = randomLogits(12, bf16);
      long[] labelValues = randomLabels(13);
      labelValues[0] = labelValues[17] = labelValues[36] = IGNORE;
      Tensor labels = Tensors.longs(labelValues, ROWS);
      Tensor distilled = distilledRows(1, 18, 35);
      FusedDistillation.Weights weights = new FusedDistillation.Weights(temperature, alpha);

      Tensor leaf = Ops.float32(student).detach().clone();
      Autograd.requireGradients(List.of(leaf));
      FusedDistillation.Result expected;
      try (Autograd.Recording r = Autograd.record()) {
        expected = FusedDistillation.unfused(leaf, Ops.float32(teacher), labels, IGNORE, distilled, weights, true);
        r.backward(expected.combined(), scale);
      }
      float[] expectedGradient = Tensors.toFloats(Autograd.gradient(leaf));

      FusedDistillation.Result fused = FusedDistillation.compute(student, teacher, labels, IGNORE,
          distilled, weights, scale, true, chunkRows, null);
      assertClose(expected.studentCe(), fused.studentCe(), "student CE");
      assertClose(expected.kd(), fused.kd(), "T²·KL");
      assertClose(expected.combined(), fused.combined(), "combined");
      assertClose(expected.teacherCe(), fused.teacherCe(), "teacher CE");

      assertEquals(student.scalar_type().intern(), fused.gradient().scalar_type().intern());
      float[] gradient = Tensors.toFloats(Ops.float32(fused.gradient()));
      // float32: rounding apart; bf16: torch's float32 number rounded once (half a bf16 step)
      double tolerance = bf16 ? Math.pow(2, -8) : 1e-5;
      // softmax(s/T) − softmax(t/T) cancels: a tiny entry carries the rounding of both terms
      double floor = 1e-2 * scale / ROWS;
      for (int i = 0; i < gradient.length; i++) {
        double bound = tolerance * Math.max(Math.abs(expectedGradient[i]), floor);
        assertTrue(Math.abs(gradient[i] - expectedGradient[i]) <= bound,
            "gradient[" + i / VOCAB + ", " + i % VOCAB + "] " + gradient[i] + " vs torch's " + expectedGradient[i]);
      }
      // row 0: no label and not distilled: nothing flows back
      for (int v = 0; v < VOCAB; v++) assertTrue(gradient[v] == 0f, "row 0 takes part in neither term");

      FusedDistillation.Result lossOnly = FusedDistillation.compute(student, teacher, labels, IGNORE,
          distilled, weights, Double.NaN, false, chunkRows, null);
      assertEquals(Tensors.value(fused.combined()), Tensors.value(lossOnly.combined()));
      assertNull(lossOnly.gradient());
      assertNull(lossOnly.teacherCe());

      // written over the teacher's logits, inference tensors as training's teacher gives them: the
      // same numbers, in the teacher's storage
      Tensor given;
      try (Autograd.Inference inference = Autograd.inference()) {
        given = teacher.clone();
      }
      FusedDistillation.Result over = FusedDistillation.compute(student, given, labels, IGNORE,
          distilled, weights, scale, true, chunkRows, given);
      assertEquals(Tensors.value(fused.combined()), Tensors.value(over.combined()));
      assertEquals(Tensors.value(fused.teacherCe()), Tensors.value(over.teacherCe()));
      assertEquals(given.data_ptr().address(), over.gradient().data_ptr().address());
      org.junit.jupiter.api.Assertions.assertArrayEquals(gradient, Tensors.toFloats(Ops.float32(over.gradient())));
    }
  }

  /** The teacher's logits hold the gradient only when they have the student's type: else they are left alone. */
  @Test
  void theGradientGoesOverTheTeacherOnlyWhenItFits() {
    try (TensorScope scope = new TensorScope()) {
      Tensor student = randomLogits(1, true);
      Tensor labels = Tensors.longs(randomLabels(3), ROWS);
      Tensor distilled = Ops.notEqual(labels, IGNORE);
      FusedDistillation.Weights weights = new FusedDistillation.Weights(2, 0.5);
      Tensor sameType = randomLogits(2, true);
      Tensor float32 = randomLogits(2, false);
      float[] before = Tensors.toFloats(float32);
      FusedDistillation.Result over = FusedDistillation.lossAndGradientOverTeacher(student, sameType,
          labels, IGNORE, distilled, weights, 1, true);
      assertEquals(sameType.data_ptr().address(), over.gradient().data_ptr().address());
      FusedDistillation.Result apart = FusedDistillation.lossAndGradientOverTeacher(student, float32,
          labels, IGNORE, distilled, weights, 1, true);
      assertTrue(float32.data_ptr().address() != apart.gradient().data_ptr().address());
      org.junit.jupiter.api.Assertions.assertArrayEquals(before, Tensors.toFloats(float32));
      assertEquals(student.scalar_type().intern(), apart.gradient().scalar_type().intern());
    }
  }

  /**
   * As torch: no counted label and no distilled row give NaN losses (CE's mean and
   * {@code kl_div}'s batchmean over zero rows are both 0 / 0) and a zero gradient, not NaN.
   */
  @ParameterizedTest
  @CsvSource({"3", "100"})
  void nothingCountedIsNanLossesAndZeroGradient(long chunkRows) {
    try (TensorScope scope = new TensorScope()) {
      Tensor student = randomLogits(1, false);
      Tensor teacher = randomLogits(2, false);
      long[] none = new long[ROWS];
      java.util.Arrays.fill(none, IGNORE);
      Tensor labels = Tensors.longs(none, ROWS);
      Tensor distilled = Ops.notEqual(labels, IGNORE);
      FusedDistillation.Weights weights = new FusedDistillation.Weights(2, 0.5);
      FusedDistillation.Result fused =
          FusedDistillation.compute(student, teacher, labels, IGNORE, distilled, weights, 1, true, chunkRows, null);
      FusedDistillation.Result torchs =
          FusedDistillation.unfused(student, teacher, labels, IGNORE, distilled, weights, true);
      for (Tensor loss : List.of(fused.combined(), fused.studentCe(), fused.kd(), fused.teacherCe(),
          torchs.combined(), torchs.studentCe(), torchs.kd())) {
        assertTrue(Double.isNaN(Tensors.value(loss)), "loss " + Tensors.value(loss));
      }
      for (float g : Tensors.toFloats(fused.gradient())) assertTrue(g == 0f, "gradient " + g);
    }
  }

  @Test
  void mismatchedLogitsAreRefusedNamingBothShapes() {
    try (TensorScope scope = new TensorScope()) {
      Tensor student = randomLogits(1, false);
      Tensor teacher = Tensors.zeros(Device.CPU, ROWS, VOCAB + 1);
      Tensor labels = Tensors.longs(randomLabels(3), ROWS);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> FusedDistillation.lossAndGradient(student, teacher, labels, IGNORE,
              Ops.notEqual(labels, IGNORE), new FusedDistillation.Weights(2, 0.5), 1, false));
      assertTrue(e.getMessage().contains("[37, 50]") && e.getMessage().contains("[37, 51]"), e.getMessage());
    }
  }

  private static void assertClose(Tensor expected, Tensor actual, String what) {
    double e = Tensors.value(expected);
    double a = Tensors.value(actual);
    assertEquals(e, a, 1e-6 * Math.abs(e), what + ": " + a + " vs torch's " + e);
  }

  private static Tensor randomLogits(long seed, boolean bf16) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[ROWS * VOCAB];
    for (int i = 0; i < values.length; i++) values[i] = (float) (random.nextGaussian() * 3);
    Tensor logits = Tensors.floats(values, ROWS, VOCAB);
    return bf16 ? logits.to(torch.ScalarType.BFloat16) : logits;
  }

  private static long[] randomLabels(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    long[] labels = new long[ROWS];
    for (int i = 0; i < ROWS; i++) labels[i] = random.nextInt(VOCAB);
    return labels;
  }

  /** Every row but row 0 and the given ones. */
  private static Tensor distilledRows(int... left) {
    long[] flags = new long[ROWS];
    java.util.Arrays.fill(flags, 1);
    flags[0] = 0;
    for (int row : left) flags[row] = 0;
    return Ops.notEqual(Tensors.longs(flags, ROWS), 0);
  }
}
