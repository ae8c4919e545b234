package narrow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Arrays made from Java data whose memory libtorch owns, for anything an autograd graph may keep.
 *
 * <p>On the CPU, DJL 0.35.1's {@code NDManager.create(float[] | Number, …)} wraps a direct Java
 * buffer ({@code torch::from_blob}) that only the NDArray handle keeps alive. Once the handle is
 * closed, the garbage collector frees the buffer, yet autograd may still hold the tensor to use in
 * backward: a forward pass closes its intermediates before backward runs, and DJL's own
 * {@code x.mul(2.0)}, {@code div(Number)} and {@code pow(Number)} create the scalar that way and
 * close it as soon as the op returns, while {@code mul}, {@code div} and {@code pow} save it for
 * the gradient. Backward then reads freed memory: gradients that are right in a short test turn to
 * garbage or NaN now and then in a long run, whenever the GC has run in between. So in code that
 * records a graph, pass scalars and Java-made tables as arrays from here, never as Java numbers.
 */
public final class TorchOwned {
  private TorchOwned() {}

  /** A float32 array of {@code shape} holding {@code data}. */
  public static NDArray floats(NDManager manager, float[] data, Shape shape) {
    try (NDArray borrowed = manager.create(data, shape)) {
      return borrowed.duplicate(); // a clone: storage from libtorch's allocator
    }
  }

  /** A 0-d array of {@code value}, of the type DJL gives that Java number (Double: float64, …). */
  public static NDArray scalar(NDManager manager, Number value) {
    try (NDArray borrowed = manager.create(value)) {
      return borrowed.duplicate();
    }
  }
}
