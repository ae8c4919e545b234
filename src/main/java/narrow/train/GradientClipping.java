package narrow.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import java.util.Collection;
import narrow.model.Autograd;

/** Global-norm gradient clipping as {@code torch.nn.utils.clip_grad_norm_} does it. */
public final class GradientClipping {
  private GradientClipping() {}

  /** The L2 norm over all gradients together: the norm of the per-tensor norms, in float32 like torch. */
  public static double globalNorm(Collection<NDArray> grads) {
    try (Autograd.Scope noGrad = Autograd.noGrad(); NDScope scope = new NDScope()) {
      NDList norms = new NDList(grads.size());
      for (NDArray g : grads) norms.add(g.flatten().norm());
      return NDArrays.stack(norms).norm().getFloat();
    }
  }

  /** torch: {@code max_norm / (total_norm + 1e-6)}, clamped at 1 so small gradients are left alone. */
  public static double coefficient(double totalNorm, double maxNorm) {
    return Math.min(1.0, maxNorm / (totalNorm + 1e-6));
  }

  /**
   * Scales the gradients in place so their global norm is at most {@code maxNorm}; returns the
   * norm before clipping (what HF logs as {@code grad_norm}). Non-finite norms are returned
   * unchanged and the gradients are left as they are: the caller stops the run.
   */
  public static double clip(Collection<NDArray> grads, double maxNorm) {
    double norm = globalNorm(grads);
    if (!Double.isFinite(norm) || maxNorm <= 0) return norm;
    double coef = coefficient(norm, maxNorm);
    // torch multiplies even when the clamped coefficient is 1; a no-op in exact arithmetic
    if (coef < 1.0) {
      try (Autograd.Scope noGrad = Autograd.noGrad()) {
        for (NDArray g : grads) g.muli((float) coef);
      }
    }
    return norm;
  }
}
