package narrow.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The fused kernel computes what torch's default AdamW (the single-tensor form, op for op below)
 * computes, but for float32 rounding; the fixture test (OptimizerMathTest) checks one step against PyTorch.
 */
class FusedAdamWTest {
  private static final double LR = 5e-4, BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8;

  /**
   * The kernel rounds g² into the second moment in another order (fused multiply-adds), so a moment
   * may differ from the single-tensor form's in its last bit or two, and a parameter by as much.
   */
  private static final double TOLERANCE = 1e-6;

  @Test
  void equalsTorchsSingleTensorAdamWButForRounding() {
    SplittableRandom random = new SplittableRandom(7);
    long[][] shapes = {{300, 17}, {64}, {5, 3, 4}};
    try (TensorScope scope = new TensorScope(); Autograd.Scope noGrad = Autograd.noGrad()) {
      List<Tensor> fused = new ArrayList<>(), single = new ArrayList<>(), grads = new ArrayList<>();
      List<Tensor> m1 = new ArrayList<>(), v1 = new ArrayList<>(), m2 = new ArrayList<>(), v2 = new ArrayList<>();
      for (long[] shape : shapes) {
        Tensor p = random(shape, 0.02, random);
        fused.add(p);
        single.add(p.clone());
        grads.add(random(shape, 1e-3, random));
        m1.add(Tensors.zeros(Device.CPU, shape));
        v1.add(Tensors.zeros(Device.CPU, shape));
        m2.add(Tensors.zeros(Device.CPU, shape));
        v2.add(Tensors.zeros(Device.CPU, shape));
      }
      float[] start = Tensors.toFloats(fused.get(0));
      for (long step = 1; step <= 5; step++) {
        double wd = step % 2 == 0 ? 0.0 : 0.01; // both with and without decay
        FusedAdamW.step(fused, grads, m1, v1, step, LR, BETA1, BETA2, EPS, wd);
        for (int i = 0; i < single.size(); i++) {
          singleTensorUpdate(single.get(i), grads.get(i), m2.get(i), v2.get(i), step, wd);
        }
        for (int i = 0; i < shapes.length; i++) {
          String at = " " + i + " after step " + step;
          assertClose(single.get(i), fused.get(i), "param" + at);
          assertClose(m2.get(i), m1.get(i), "exp_avg" + at);
          assertClose(v2.get(i), v1.get(i), "exp_avg_sq" + at);
        }
        for (Tensor g : grads) g.copy_(random(Tensors.shape(g), 1e-3, random));
      }
      assertNotEquals(start[0], Tensors.toFloats(fused.get(0))[0], "the parameters moved");
    }
  }

  @Test
  void mismatchedListsAreRefused() {
    try (TensorScope scope = new TensorScope()) {
      Tensor p = Tensors.zeros(Device.CPU, 3);
      var e = assertThrows(IllegalArgumentException.class,
          () -> FusedAdamW.step(List.of(p), List.of(), List.of(p), List.of(p), 1, LR, BETA1, BETA2, EPS, 0));
      assertEquals("AdamW: 1 parameters but 0 gradients, 1 first and 1 second moments", e.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> FusedAdamW.step(List.of(p), List.of(p), List.of(p), List.of(p), 0, LR, BETA1, BETA2, EPS, 0));
    }
  }

  /** max |got − want| at most {@link #TOLERANCE} × max |want|: float32 rounding, nothing more. */
  private static void assertClose(Tensor want, Tensor got, String what) {
    float[] w = Tensors.toFloats(want), g = Tensors.toFloats(got);
    assertEquals(w.length, g.length, what);
    double maxDiff = 0, scale = 0;
    for (int i = 0; i < w.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(w[i] - g[i]));
      scale = Math.max(scale, Math.abs(w[i]));
    }
    assertTrue(maxDiff <= TOLERANCE * scale, what + ": max diff " + maxDiff + " against scale " + scale);
  }

  /** torch.optim.adamw._single_tensor_adamw on a CPU float32 tensor, op for op. */
  private static void singleTensorUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, long step,
      double wd) {
    param.mul_(Tensors.scalar(1 - LR * wd));
    expAvg.lerp_(grad, Tensors.scalar(1 - BETA1));
    expAvgSq.mul_(Tensors.scalar(BETA2)).addcmul_(grad, grad, Tensors.scalar(1 - BETA2));
    double biasCorrection1 = 1 - Math.pow(BETA1, step);
    double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(BETA2, step));
    Tensor denom = expAvgSq.sqrt().div_(Tensors.scalar(biasCorrection2Sqrt)).add_(Tensors.scalar(EPS));
    param.addcdiv_(expAvg, denom, Tensors.scalar(-LR / biasCorrection1));
  }

  private static Tensor random(long[] shape, double std, SplittableRandom random) {
    long n = 1;
    for (long d : shape) n *= d;
    float[] values = new float[(int) n];
    for (int i = 0; i < values.length; i++) values[i] = (float) (random.nextGaussian() * std);
    return Tensors.floats(values, Device.CPU, shape);
  }
}
