package narrow.engine;

import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The tensor functions the model and the trainer use that the binding only offers with its own
 * optional and scalar wrappers; with these, model code reads like the math. Methods that take
 * tensors and integers only ({@code add}, {@code matmul}, {@code reshape}, {@code transpose}, …)
 * are called on {@link Tensor} directly.
 */
public final class Ops {
  static {
    Torch.load();
  }

  /** torch's {@code reduction} codes for the loss functions. */
  private static final long REDUCTION_SUM = 2;

  private Ops() {}

  /** {@code x @ weightᵀ} ({@code torch.nn.functional.linear} without bias). */
  public static Tensor linear(Tensor x, Tensor weight) {
    return torch.linear(x, weight);
  }

  /** Rows of {@code weight} for each id; the row {@code paddingIdx} gets no gradient (-1: none). */
  public static Tensor embedding(Tensor weight, Tensor ids, long paddingIdx) {
    return torch.embedding(weight, ids, paddingIdx, false, false);
  }

  public static Tensor mul(Tensor x, double s) {
    return x.mul(Tensors.scalar(s));
  }

  public static Tensor add(Tensor x, double s) {
    return x.add(Tensors.scalar(s));
  }

  public static Tensor pow(Tensor x, double exponent) {
    return x.pow(Tensors.scalar(exponent));
  }

  /** Mean over the last dimension, kept as a dimension of size 1. */
  public static Tensor meanLastDim(Tensor x) {
    return x.mean(new long[] {-1}, true, new ScalarTypeOptional());
  }

  public static Tensor silu(Tensor x) {
    return torch.silu(x);
  }

  public static Tensor cat(Tensor a, Tensor b, long dim) {
    return torch.cat(new TensorVector(a, b), dim);
  }

  // JavaCPP makes a new enum object per native call: compare interned ones, never the raw result

  public static Tensor float32(Tensor x) {
    return x.scalar_type().intern() == ScalarType.Float ? x : x.to(ScalarType.Float);
  }

  /** {@code x} as {@code type}: the same tensor when it already is. */
  public static Tensor as(Tensor x, DType type) {
    return x.scalar_type().intern() == type.scalarType ? x : x.to(type.scalarType);
  }

  /** {@code x} in {@code like}'s element type: the same tensor when it already is. */
  public static Tensor typeAs(Tensor x, Tensor like) {
    return x.type_as(like);
  }

  /** Softmax over {@code dim} computed in float32 (HF's eager attention), whatever the input type. */
  public static Tensor softmaxFloat32(Tensor x, long dim) {
    return torch.softmax(x, dim, new ScalarTypeOptional(ScalarType.Float));
  }

  /** {@code scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)}. */
  public static Tensor causalAttention(Tensor q, Tensor k, Tensor v, double scale) {
    return torch.scaled_dot_product_attention(q, k, v, new TensorOptional(), 0.0, true,
        new DoubleOptional(scale), false);
  }

  /**
   * Summed cross entropy of logits [N, V] against labels [N], labels equal to {@code ignoreIndex}
   * left out (torch's {@code cross_entropy(reduction="sum", ignore_index=…)}), in float32.
   */
  public static Tensor crossEntropySum(Tensor logits, Tensor labels, long ignoreIndex) {
    return torch.cross_entropy_loss(float32(logits), labels, new TensorOptional(), REDUCTION_SUM,
        ignoreIndex, 0.0);
  }

  /** The tensor as int64 (token ids), the same tensor when it already is. */
  public static Tensor int64(Tensor x) {
    return x.scalar_type().intern() == ScalarType.Long ? x : x.to(ScalarType.Long);
  }

  /** The device a tensor lives on. */
  public static Device deviceOf(Tensor x) {
    return x.is_cuda() ? Device.cuda(x.device().index()) : Device.CPU;
  }

  /** Moves a tensor to {@code device}, keeping its type. */
  public static Tensor to(Tensor x, Device device) {
    return x.to(device.toTorch(), x.scalar_type());
  }

  /** The L2 norm of all elements, as a float32 0-d tensor. */
  public static Tensor norm(Tensor x) {
    return x.norm();
  }

  /** {@code stack(tensors)} along a new first dimension. */
  public static Tensor stack(Iterable<Tensor> tensors) {
    TensorVector v = new TensorVector();
    for (Tensor t : tensors) v.push_back(t);
    return torch.stack(new org.bytedeco.pytorch.TensorArrayRef(v), 0);
  }

  /** {@code x *= factor}, in place. */
  public static void scaleInPlace(Tensor x, double factor) {
    x.mul_(Tensors.scalar(factor));
  }

  /** The sum of all elements accumulated in float64, as a 0-d float64 tensor. */
  public static Tensor sumFloat64(Tensor x) {
    return x.sum(new ScalarTypeOptional(ScalarType.Double));
  }

  /** How many elements differ from {@code value}, as a float32 0-d tensor on the same device. */
  public static Tensor countNotEqual(Tensor x, long value) {
    return x.ne(Tensors.scalar(value)).sum().to(ScalarType.Float);
  }

  /** How many elements are nonzero / true, as a Java number. */
  public static long countNonzero(Tensor x) {
    return x.ne(Tensors.scalar(0)).sum().item().toLong();
  }

  /**
   * Sets the slices {@code indices} of dimension {@code dim} of {@code x} to zero, in place
   * (libtorch's {@code index_fill_}): a pruning mask applied from its index lists, so no
   * full-size 0/1 tensor ever exists. Call with grad mode off on a parameter.
   */
  public static void zeroSlices(Tensor x, long dim, long[] indices) {
    if (indices.length == 0) return;
    Tensor index = Tensors.longs(indices, deviceOf(x), indices.length);
    x.index_fill_(dim, index, Tensors.scalar(0.0));
  }

  /** Rows of a matrix squared at a time when its column norms are taken (a few MiB for Llama's widths). */
  private static final long COLUMN_NORM_ROWS = 512;

  /**
   * The L2 norm of each slice of a matrix across {@code dim} (dim 1: each row's norm; dim 0: each
   * column's), float32. Row norms are one reduction over the matrix. Column norms are the squares
   * of {@value #COLUMN_NORM_ROWS} rows at a time summed into one accumulator: libtorch's reduction
   * across rows is strided and ran 47 times slower (a [128256, 2048] float32 embedding's column
   * norms on 2 threads: 2.6 s, chunked 0.055 s), and no copy of the matrix is made either way.
   */
  public static Tensor normsAcross(Tensor x, long dim) {
    if (dim == 1) return x.norm(new org.bytedeco.pytorch.ScalarOptional(Tensors.scalar(2.0)), new long[] {1}, false);
    long rows = x.size(0);
    Tensor sum = Tensors.zeros(deviceOf(x), x.size(1));
    for (long start = 0; start < rows; start += COLUMN_NORM_ROWS) {
      try (TensorScope chunkScope = new TensorScope()) {
        Tensor chunk = float32(x.narrow(0, start, Math.min(COLUMN_NORM_ROWS, rows - start)));
        sum.add_(chunk.mul(chunk).sum(0));
      }
    }
    return sum.sqrt_();
  }

  /** Σ|x| as a Java number, by one reduction (no |x| copy). */
  public static double absSum(Tensor x) {
    return x.norm(Tensors.scalar(1.0)).item_double();
  }

  /** {@code target += weight · x · factor} in place, {@code factor} broadcast against {@code x} (addcmul_). */
  public static void addProduct(Tensor target, Tensor x, Tensor factor, double weight) {
    target.addcmul_(x, factor, Tensors.scalar(weight));
  }

  /** {@code target += weight · sign(x)} in place. */
  public static void addSign(Tensor target, Tensor x, double weight) {
    target.add_(x.sign(), Tensors.scalar(weight));
  }

  /** {@code log_softmax(x, dim)} in x's own type (recorded: autograd's own backward). */
  public static Tensor logSoftmax(Tensor x, long dim) {
    return torch.log_softmax(x, dim, new ScalarTypeOptional());
  }

  /** {@code softmax(x, dim)} in x's own type. */
  public static Tensor softmax(Tensor x, long dim) {
    return torch.softmax(x, dim, new ScalarTypeOptional());
  }

  /**
   * {@code kl_div(logQ, p, reduction="sum")}: Σ p · (log p − logQ), a zero p contributing zero;
   * torch's {@code "batchmean"} is this divided by the number of rows.
   */
  public static Tensor klDivSum(Tensor logQ, Tensor p) {
    return torch.kl_div(logQ, p, REDUCTION_SUM, false);
  }

  /** The rows of {@code x} (first dimension) where {@code mask} [rows] is true ({@code x[mask]}). */
  public static Tensor rowsWhere(Tensor x, Tensor mask) {
    return x.index_select(0, mask.nonzero().reshape(-1));
  }

  public static Tensor div(Tensor x, double s) {
    return x.div(Tensors.scalar(s));
  }

  /** {@code x != value}, elementwise, as a bool tensor. */
  public static Tensor notEqual(Tensor x, long value) {
    return x.ne(Tensors.scalar(value));
  }
}
