package narrow.model;

import static narrow.engine.Ops.*;

import java.util.List;
import narrow.engine.Autograd;
import narrow.engine.FusedCrossEntropy;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * Hugging Face's causal-LM loss: logits at position t predict the label at t+1; cross entropy in
 * float32 over the labels that are not {@link #IGNORE_INDEX}. As in transformers, the labels are
 * shifted (padded with an ignored label at the end) rather than the logits, so the [B, T, V]
 * logits are never copied.
 *
 * <p>Training takes {@link #withGradient}: the loss and its gradient in one pass over the logits
 * ({@link FusedCrossEntropy}), back-propagated from the logits. {@link #loss} is the same number as
 * a differentiable scalar, through torch's own ops, for whatever must differentiate through the
 * loss itself; without a recording (evaluation) it takes the chunked path too.
 */
public final class CausalLmLoss {
  public static final int IGNORE_INDEX = -100;

  private CausalLmLoss() {}

  /**
   * A mean loss whose gradient was computed with it.
   *
   * @param loss the mean loss, float32 0-d, not recorded
   * @param logits the logits it was computed from, where backward starts
   * @param logitsGradient d(scale · loss)/d(logits), the logits' shape and type
   */
  public record WithGradient(Tensor loss, Tensor logits, Tensor logitsGradient) {
    /** Back-propagates {@code scale · loss} into the parameters the logits came from. */
    public void backward(Autograd.Recording recording) {
      recording.backward(List.of(logits), List.of(logitsGradient));
    }
  }

  /**
   * Mean loss (a float32 0-d tensor, in the caller's scope) of logits [B, T, V] against labels
   * [B, T]. NaN when no label counts, as in torch.
   */
  public static Tensor loss(Tensor logits, Tensor labels) {
    try (TensorScope scope = new TensorScope()) {
      Tensor shifted = shiftedLabels(labels, logits);
      if (!Autograd.isRecording()) {
        return scope.keep(FusedCrossEntropy.mean(flat(logits), shifted, IGNORE_INDEX));
      }
      Tensor sum = crossEntropySum(flat(logits), shifted, IGNORE_INDEX);
      return scope.keep(sum.div(countNotEqual(shifted, IGNORE_INDEX)));
    }
  }

  /**
   * {@link #loss} with d(scale · loss)/d(logits) (HF's {@code loss / gradient_accumulation_steps}
   * is scale 1 / steps), in the caller's scope. A batch without a counted label has loss NaN and a
   * zero gradient, as torch gives.
   */
  public static WithGradient withGradient(Tensor logits, Tensor labels, double scale) {
    try (TensorScope scope = new TensorScope()) {
      Tensor shifted = shiftedLabels(labels, logits);
      FusedCrossEntropy.Result r =
          FusedCrossEntropy.meanAndGradient(flat(logits), shifted, IGNORE_INDEX, scale);
      Tensor gradient = r.gradient().view(Tensors.shape(logits));
      return new WithGradient(scope.keep(r.mean()), logits, scope.keep(gradient));
    }
  }

  /**
   * The summed loss over the counted labels: with {@link #countedLabels} over all micro-batches of
   * an optimizer step, what transformers' Trainer divides by {@code num_items_in_batch}.
   */
  public static Tensor sum(Tensor logits, Tensor labels) {
    try (TensorScope scope = new TensorScope()) {
      Tensor shifted = shiftedLabels(labels, logits);
      return scope.keep(crossEntropySum(flat(logits), shifted, IGNORE_INDEX));
    }
  }

  private static Tensor flat(Tensor logits) {
    return logits.reshape(-1, logits.size(2));
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
  static Tensor shiftedLabels(Tensor labels, Tensor logits) {
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
