package narrow.train;

import java.util.Collection;
import narrow.engine.Autograd;
import narrow.engine.Ops;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import org.bytedeco.pytorch.Tensor;

/** Global-norm gradient clipping as {@code torch.nn.utils.clip_grad_norm_} does it. */
public final class GradientClipping {
  private GradientClipping() {}

  /** The L2 norm over all gradients together: the norm of the per-tensor norms, in float32 like torch. */
  public static double globalNorm(Collection<Tensor> grads) {
    if (grads.isEmpty()) return 0;
    try (Autograd.Scope noGrad = Autograd.noGrad(); TensorScope scope = new TensorScope()) {
      java.util.List<Tensor> norms = new java.util.ArrayList<>(grads.size());
      for (Tensor g : grads) norms.add(Ops.norm(g));
      return Tensors.value(Ops.norm(Ops.stack(norms)));
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
  public static double clip(Collection<Tensor> grads, double maxNorm) {
    double norm = globalNorm(grads);
    if (!Double.isFinite(norm) || maxNorm <= 0) return norm;
    double coef = coefficient(norm, maxNorm);
    // torch multiplies even when the clamped coefficient is 1; a no-op in exact arithmetic
    if (coef < 1.0) {
      try (Autograd.Scope noGrad = Autograd.noGrad(); TensorScope scope = new TensorScope()) {
        for (Tensor g : grads) Ops.scaleInPlace(g, (float) coef);
      }
    }
    return norm;
  }
}
