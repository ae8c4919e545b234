package narrow.engine;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.BoolVector;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Reducer;
import org.bytedeco.pytorch.SizeTStringMap;
import org.bytedeco.pytorch.SizeTVector;
import org.bytedeco.pytorch.SizeTVectorVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * PyTorch DDP's own gradient reducer ({@code c10d::Reducer}) over a {@link ProcessGroup}: hooks on
 * the parameters' gradient accumulators copy each gradient, scaled by 1/world size, into its
 * bucket as soon as backward has produced it, and a full bucket is all-reduced at once, while
 * backward goes on computing earlier layers' gradients. When backward returns, every gradient
 * holds the replicas' mean. Everything runs in libtorch's C++ (no Java on the autograd thread).
 *
 * <p>Buckets as DDP makes them: parameters in reverse order (roughly the order backward finishes
 * them), a small first bucket so communication starts early, then {@link ProcessGroup#BUCKET_BYTES}.
 * Buckets are launched in index order, so a bucket whose gradients are late holds the later ones.
 *
 * <p>Gradient accumulation: only a backward after {@link #expectBackward} reduces; the others
 * accumulate locally, as DDP's {@code no_sync()}.
 */
public final class GradientReducer implements AutoCloseable {
  /** DDP's first bucket: small, so the all-reduce begins after the first few gradients. */
  static final long FIRST_BUCKET_BYTES = 1L << 20;

  private final Reducer reducer;

  GradientReducer(org.bytedeco.pytorch.ProcessGroup group, List<String> names, List<Tensor> parameters) {
    // the reducer copies what it is given: these are freed as soon as it is built
    TensorVector params = new TensorVector(parameters.toArray(new Tensor[0]));
    SizeTVectorVector buckets = new SizeTVectorVector();
    for (List<Integer> bucket : buckets(parameters, FIRST_BUCKET_BYTES, ProcessGroup.BUCKET_BYTES)) {
      SizeTVector indices = new SizeTVector();
      for (int i : bucket) indices.push_back(i);
      buckets.push_back(indices);
      indices.deallocate();
    }
    SizeTStringMap nameOf = new SizeTStringMap();
    for (int i = 0; i < names.size(); i++) nameOf.put(i, names.get(i));
    BoolVector sparse = new BoolVector();
    for (int i = 0; i < parameters.size(); i++) sparse.push_back(false);
    LongVector noCaps = new LongVector();
    try {
      this.reducer = new Reducer(params, buckets, group, sparse, ProcessGroup.BUCKET_BYTES,
          false, // find_unused_parameters: every parameter gets a gradient in every step
          false, // gradient_as_bucket_view: gradients stay their own tensors (AdamW, clipping, masks)
          nameOf, FIRST_BUCKET_BYTES, false, false, noCaps, false);
    } finally {
      params.deallocate();
      buckets.deallocate();
      nameOf.deallocate();
      sparse.deallocate();
      noCaps.deallocate();
    }
  }

  /**
   * Parameter indices per bucket, as DDP assigns them: reverse order, a bucket closed once it
   * holds {@code firstBytes} (the first) or {@code bytes} (the others); dtypes and devices not
   * mixed. Unlike {@link ProcessGroup#buckets}, which never lets a bucket pass its size so that a
   * large tensor is reduced in place, the reducer copies every gradient into its bucket anyway.
   */
  static List<List<Integer>> buckets(List<Tensor> parameters, long firstBytes, long bytes) {
    List<List<Integer>> out = new ArrayList<>();
    List<Integer> current = new ArrayList<>();
    long filled = 0;
    Tensor kind = null;
    for (int i = parameters.size() - 1; i >= 0; i--) {
      Tensor t = parameters.get(i);
      long cap = out.isEmpty() ? firstBytes : bytes;
      boolean sameKind = kind == null || (kind.scalar_type().intern() == t.scalar_type().intern()
          && Ops.deviceOf(kind).equals(Ops.deviceOf(t)));
      if (!current.isEmpty() && (!sameKind || filled >= cap)) {
        out.add(current);
        current = new ArrayList<>();
        filled = 0;
      }
      current.add(i);
      filled += t.nbytes();
      kind = t;
    }
    if (!current.isEmpty()) out.add(current);
    return out;
  }

  /**
   * The next backward reduces: call after the forward pass of an optimizer step's last
   * micro-batch, before its backward. {@code outputs} are the tensors backward starts from.
   */
  public void expectBackward(List<Tensor> outputs) {
    try (TensorScope scope = new TensorScope()) {
      reducer.prepare_for_backward(new TensorVector(outputs.toArray(new Tensor[0])));
    }
  }

  @Override
  public void close() {
    reducer.remove_autograd_hooks();
    reducer.deallocate();
  }
}
