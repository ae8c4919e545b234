package narrow.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The chunked loss and its gradient against torch's own: {@code cross_entropy(logits.float())}
 * (mean over the counted labels) and what autograd gives for d(scale · loss)/d(logits), the
 * float32 gradient rounded to the logits' type, as autocast's cast back does. Rows are split into
 * chunks that do not divide them, ignored labels fall in the first, middle and last chunk.
 */
class FusedCrossEntropyTest {
  private static final long IGNORE = -100;

  @ParameterizedTest
  @CsvSource({"false,1", "false,4", "false,37", "true,4", "true,1000"})
  void lossAndGradientAreTorchs(boolean bf16, long chunkRows) {
    SplittableRandom random = new SplittableRandom(11);
    int rows = 37, vocab = 50;
    double scale = 0.25;
    float[] values = new float[rows * vocab];
    for (int i = 0; i < values.length; i++) values[i] = (float) (random.nextGaussian() * 3);
    long[] labels = new long[rows];
    for (int i = 0; i < rows; i++) labels[i] = random.nextInt(vocab);
    labels[0] = labels[17] = labels[36] = IGNORE;
    try (TensorScope scope = new TensorScope()) {
      Tensor logits = Tensors.floats(values, rows, vocab);
      if (bf16) logits = logits.to(torch.ScalarType.BFloat16);
      Tensor target = Tensors.longs(labels, rows);

      Tensor leaf = logits.detach();
      Autograd.requireGradients(List.of(leaf));
      double expected;
      try (Autograd.Recording r = Autograd.record()) {
        Tensor loss = Ops.crossEntropySum(leaf, target, IGNORE).div(Ops.countNotEqual(target, IGNORE));
        expected = Tensors.value(loss);
        r.backward(loss, scale);
      }
      float[] expectedGradient = Tensors.toFloats(Autograd.gradient(leaf).to(torch.ScalarType.Float));

      FusedCrossEntropy.Result fused = FusedCrossEntropy.compute(logits, target, IGNORE, scale, chunkRows);
      assertEquals(expected, Tensors.value(fused.mean()), 1e-6 * expected);
      assertEquals(logits.scalar_type().intern(), fused.gradient().scalar_type().intern());
      float[] gradient = Tensors.toFloats(fused.gradient().to(torch.ScalarType.Float));
      // float32: rounding apart; bf16: the same float32 number rounded may land one bf16 step apart
      double tolerance = bf16 ? Math.pow(2, -8) : 1e-6;
      for (int i = 0; i < gradient.length; i++) {
        double bound = tolerance * Math.max(Math.abs(expectedGradient[i]), 1e-3 * scale / rows);
        assertTrue(Math.abs(gradient[i] - expectedGradient[i]) <= bound,
            "gradient[" + i / vocab + ", " + i % vocab + "] " + gradient[i] + " vs torch's " + expectedGradient[i]);
      }
      for (int ignored : new int[] {0, 17, 36}) {
        for (int v = 0; v < vocab; v++) assertTrue(gradient[ignored * vocab + v] == 0f, "ignored row " + ignored);
      }
      assertEquals(Tensors.value(fused.mean()),
          Tensors.value(FusedCrossEntropy.compute(logits, target, IGNORE, Double.NaN, chunkRows).mean()));
    }
  }

  /** As torch: no counted label gives a NaN loss and a zero gradient (not NaN everywhere). */
  @ParameterizedTest
  @CsvSource({"3", "100"})
  void noCountedLabelIsNanLossAndZeroGradient(long chunkRows) {
    try (TensorScope scope = new TensorScope()) {
      Tensor logits = Tensors.floats(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 4, 3);
      Tensor target = Tensors.longs(new long[] {IGNORE, IGNORE, IGNORE, IGNORE}, 4);
      FusedCrossEntropy.Result fused = FusedCrossEntropy.compute(logits, target, IGNORE, 1, chunkRows);
      assertTrue(Double.isNaN(Tensors.value(fused.mean())));
      for (float g : Tensors.toFloats(fused.gradient())) assertTrue(g == 0f, "gradient " + g);
    }
  }
}
