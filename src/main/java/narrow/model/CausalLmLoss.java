package narrow.model;

import static narrow.engine.Ops.*;

import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * Hugging Face's causal-LM loss: logits at position t predict the label at t+1; cross entropy in
 * float32 over the labels that are not {@link #IGNORE_INDEX}. As in transformers, the labels are
 * shifted (padded with an ignored label at the end) rather than the logits, so the [B, T, V]
 * logits are never copied.
 */
public final class CausalLmLoss {
  public static final int IGNORE_INDEX = -100;

  private CausalLmLoss() {}

  /**
   * Mean loss (a float32 0-d tensor, in the caller's scope) of logits [B, T, V] against labels
   * [B, T]. NaN when no label counts, as in torch.
   */
  public static Tensor loss(Tensor logits, Tensor labels) {
    try (TensorScope scope = new TensorScope()) {
      Tensor shifted = shiftedLabels(labels, logits);
      Tensor sum = crossEntropySum(logits.reshape(-1, logits.size(2)), shifted, IGNORE_INDEX);
      return scope.keep(sum.div(countNotEqual(shifted, IGNORE_INDEX)));
    }
  }

  /**
   * The summed loss over the counted labels: with {@link #countedLabels} over all micro-batches of
   * an optimizer step, what transformers' Trainer divides by {@code num_items_in_batch}.
   */
  public static Tensor sum(Tensor logits, Tensor labels) {
    try (TensorScope scope = new TensorScope()) {
      Tensor shifted = shiftedLabels(labels, logits);
      return scope.keep(crossEntropySum(logits.reshape(-1, logits.size(2)), shifted, IGNORE_INDEX));
    }
  }

  /** How many labels of [B, T] enter the loss: those after the first column that are not ignored. */
  public static long countedLabels(Tensor labels) {
    long[] values = Tensors.toLongs(labels);
    long cols = labels.size(1);
    long n = 0;
    for (int i = 0; i < values.length; i++) {
      if (i % cols != 0 && values[i] != IGNORE_INDEX) n++;
    }
    return n;
  }

  /** labels[:, 1:] followed by one ignored column, flattened, int64 on the logits' device. */
  private static Tensor shiftedLabels(Tensor labels, Tensor logits) {
    Tensor l = int64(to(labels, device(logits)));
    long b = l.size(0);
    long t = l.size(1);
    long[] pad = new long[(int) b];
    java.util.Arrays.fill(pad, IGNORE_INDEX);
    Tensor ignored = Tensors.longs(pad, device(logits), b, 1);
    return cat(l.narrow(1, 1, t - 1), ignored, 1).reshape(-1);
  }

  private static narrow.engine.Device device(Tensor t) {
    return deviceOf(t);
  }
}
