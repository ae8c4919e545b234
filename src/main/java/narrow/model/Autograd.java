package narrow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The one place that talks to PyTorch's grad mode. DJL's {@code PtGradientCollector} allows one
 * collector per JVM (a static flag), so two training tasks in one executor JVM would fail; PyTorch's
 * grad mode itself is per thread, so this class drives it directly through the engine's JNI:
 *
 * <pre>{@code
 * Autograd.requireGradients(model.parameters().values());
 * try (Autograd.Recording r = Autograd.record()) {
 *   NDArray loss = CausalLmLoss.loss(model.logits(ids), labels);
 *   r.backward(loss);
 * }
 * NDArray g = Autograd.gradient(param, stepManager);
 * Autograd.zeroGradients(model.parameters().values());
 * }</pre>
 *
 * Scopes are per thread: open and close each one on the same thread. PyTorch starts every new
 * thread with grad mode ON, so evaluation code on a pool thread should use {@link #noGrad()}.
 */
public final class Autograd {
  private Autograd() {}

  /** Grad mode on for this thread until closed; closing restores what was there before. */
  public static Recording record() {
    return new Recording(setGradMode(true));
  }

  /** Grad mode off for this thread until closed (evaluation, optimizer updates in place). */
  public static Scope noGrad() {
    return new Scope(setGradMode(false));
  }

  private static boolean setGradMode(boolean on) {
    boolean previous = JniUtils.isGradMode();
    JniUtils.setGradMode(on);
    return previous;
  }

  /** Marks parameters as leaves whose gradients accumulate on backward. */
  public static void requireGradients(Iterable<NDArray> parameters) {
    for (NDArray p : parameters) p.setRequiresGradient(true);
  }

  /**
   * The accumulated gradient of {@code parameter} as an array owned by {@code into} (closing it
   * does not clear the gradient), or null before the first backward since the last zeroing.
   */
  public static NDArray gradient(NDArray parameter, NDManager into) {
    PtNDArray grad = JniUtils.getGradient((PtNDArray) parameter);
    if (grad != null) grad.attach(into); // the engine puts it in the parameter's manager
    return grad;
  }

  /** Sets every accumulated gradient to zero (gradients not yet created stay absent). */
  public static void zeroGradients(Iterable<NDArray> parameters) {
    for (NDArray p : parameters) {
      PtNDArray grad = JniUtils.getGradient((PtNDArray) p);
      if (grad != null) {
        JniUtils.zeroGrad((PtNDArray) p);
        grad.close();
      }
    }
  }

  /** The L2 norm over all parameters' gradients together (0 when none exist yet), in double. */
  public static double globalGradientNorm(Iterable<NDArray> parameters) {
    double sumSquares = 0;
    for (NDArray p : parameters) {
      PtNDArray grad = JniUtils.getGradient((PtNDArray) p);
      if (grad == null) continue;
      try (NDManager scope = p.getManager().newSubManager()) {
        grad.attach(scope);
        double norm = grad.norm().getFloat();
        sumSquares += norm * norm;
      }
    }
    return Math.sqrt(sumSquares);
  }

  /** A scope that restores the thread's previous grad mode on close. */
  public static class Scope implements AutoCloseable {
    private final boolean previous;
    private final long thread = Thread.currentThread().getId();

    Scope(boolean previous) {
      this.previous = previous;
    }

    @Override
    public void close() {
      if (Thread.currentThread().getId() != thread) {
        throw new IllegalStateException("grad mode scope closed on another thread than it was opened");
      }
      JniUtils.setGradMode(previous);
    }
  }

  /** Grad mode on; {@link #backward} accumulates d(loss)/d(parameter) into each parameter. */
  public static final class Recording extends Scope {
    Recording(boolean previous) {
      super(previous);
    }

    /** Back-propagates a scalar loss; the graph is freed afterwards. */
    public void backward(NDArray loss) {
      backward(loss, 1);
    }

    /**
     * Back-propagates {@code scale · loss} by seeding backward with {@code scale}: the gradients
     * of {@code loss.div(n)} for scale 1/n, without a divisor in the graph (see {@link TorchOwned}).
     */
    public void backward(NDArray loss, double scale) {
      try (NDArray seed = loss.onesLike()) {
        if (scale != 1) seed.muli((float) scale);
        JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, false, false);
      }
    }
  }
}
