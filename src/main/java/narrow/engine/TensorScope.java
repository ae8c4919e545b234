package narrow.engine;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Frees, on close, every tensor handle (and every other native object) this thread created while
 * the scope was open: one per training step, per layer, per evaluation batch. What must outlive
 * the scope is {@link #keep kept}, which hands it to the enclosing scope (or, at top level, to
 * whoever holds it: it is then freed by {@link Tensors#free} or the garbage collector).
 *
 * <p>A handle is one reference to libtorch's tensor; the memory goes when the last reference
 * does, so autograd keeps what backward needs whatever the handles do.
 */
public final class TensorScope implements AutoCloseable {
  private final PointerScope outer;
  private final PointerScope scope;

  public TensorScope() {
    Torch.load();
    this.outer = PointerScope.getInnerScope();
    this.scope = new PointerScope();
  }

  /** {@code tensor} survives this scope: it belongs to the enclosing one from now on. */
  public Tensor keep(Tensor tensor) {
    if (outer != null) outer.attach(tensor);
    else tensor.retainReference();
    return tensor;
  }

  @Override
  public void close() {
    scope.close();
  }
}
