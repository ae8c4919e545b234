package narrow.engine;

import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Cross entropy over a large vocabulary together with its gradient, a few rows at a time.
 *
 * <p>Why: with Llama 3's 128,256-way vocabulary a 1,024-token batch has 131M logits. Torch's
 * float32 loss on bf16 logits (HF's {@code logits.float()} then {@code cross_entropy}) streams them
 * through memory about eight times: the cast (525 MB written), log-softmax (its output kept for
 * backward, 525 MB more), then backward's zero-filled gradient, log-softmax backward and the cast
 * back. Here each chunk of rows, about {@link #CHUNK_BYTES} in float32 and so resident in cache,
 * goes float32 → log-softmax → the label's log-probability → softmax in place → minus one at the
 * label → times the row's weight → into the gradient in the logits' own type: the logits are read
 * once and the gradient written once. Same float32 math as torch's {@code cross_entropy} and its
 * backward, so the values agree to float32 rounding; no float32 copy of the logits outlives a
 * chunk, which also takes about 1 GB off a bf16 step's peak at that size.
 *
 * <p>The gradient is computed during the forward pass (before backward is asked for), so it suits
 * a loss that is back-propagated straight away, from the logits, with the gradient given
 * ({@link Autograd.Recording#backward(java.util.List, java.util.List)}).
 */
public final class FusedCrossEntropy {
  /** Float32 bytes of one chunk: 16 rows of a 128,256-way vocabulary (16 to 64 measured best). */
  static final long CHUNK_BYTES = 8L << 20;

  private FusedCrossEntropy() {}

  /**
   * @param mean the mean loss over rows whose label is not the ignored one (float32 0-d; NaN when
   *     none is, as in torch)
   * @param gradient d(scale · mean)/d(logits) in the logits' shape and type (zero when no label
   *     counts, as torch gives); null when only the loss was asked for
   */
  public record Result(Tensor mean, Tensor gradient) {}

  /** Mean cross entropy of logits [N, V] (any float type) against labels [N] (int64) in float32. */
  public static Tensor mean(Tensor logits, Tensor labels, long ignoreIndex) {
    return compute(logits, labels, ignoreIndex, Double.NaN, chunkRows(logits)).mean();
  }

  /** {@link #mean} and d(scale · mean)/d(logits). */
  public static Result meanAndGradient(Tensor logits, Tensor labels, long ignoreIndex, double scale) {
    return compute(logits, labels, ignoreIndex, scale, chunkRows(logits));
  }

  private static long chunkRows(Tensor logits) {
    return Math.max(1, CHUNK_BYTES / (4 * logits.size(1)));
  }

  /** Scale NaN: the loss alone. */
  static Result compute(Tensor logits, Tensor labels, long ignoreIndex, double scale, long chunkRows) {
    boolean wantGradient = !Double.isNaN(scale);
    try (TensorScope scope = new TensorScope();
        Autograd.Scope noGrad = Autograd.noGrad()) {
      long rows = logits.size(0);
      long chunk = Math.min(rows, chunkRows);
      Tensor column = labels.reshape(-1, 1);
      Tensor ignored = column.eq(Tensors.scalar(ignoreIndex));
      Tensor counted = ignored.logical_not().to(torch.ScalarType.Float);
      Tensor count = counted.sum();
      // an ignored row picks class 0: `counted` zeroes its loss, its weight its gradient
      Tensor index = column.masked_fill(ignored, Tensors.scalar(0));
      Tensor weights = null;
      Tensor minusOne = null;
      Tensor gradient = null;
      if (wantGradient) {
        weights = counted.mul(Tensors.scalar(scale)).div(count.clamp_min(Tensors.scalar(1)));
        minusOne = torch.full_like(counted, Tensors.scalar(-1));
        gradient = torch.empty_like(logits);
      }
      Tensor picked = torch.empty_like(counted);
      for (long start = 0; start < rows; start += chunk) {
        long n = Math.min(chunk, rows - start);
        try (TensorScope chunkScope = new TensorScope()) {
          Tensor idx = index.narrow(0, start, n);
          Tensor logProbs = torch.log_softmax(logits.narrow(0, start, n), 1,
              new ScalarTypeOptional(torch.ScalarType.Float));
          picked.narrow(0, start, n).copy_(logProbs.gather(1, idx));
          if (!wantGradient) continue;
          Tensor probs = logProbs.exp_();
          probs.scatter_add_(1, idx, minusOne.narrow(0, start, n));
          gradient.narrow(0, start, n).copy_(probs.mul_(weights.narrow(0, start, n)));
        }
      }
      Tensor mean = picked.mul(counted).sum().neg().div(count);
      return new Result(scope.keep(mean), wantGradient ? scope.keep(gradient) : null);
    }
  }
}
