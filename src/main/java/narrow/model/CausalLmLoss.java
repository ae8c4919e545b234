package narrow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Hugging Face's causal-LM loss: logits at position t predict the label at t+1; cross entropy in
 * float32 over the labels that are not {@link #IGNORE_INDEX}.
 */
public final class CausalLmLoss {
  public static final int IGNORE_INDEX = -100;

  private CausalLmLoss() {}

  /**
   * Mean loss (a float32 scalar in the manager of {@code logits}) of logits [B, T, V] against
   * labels [B, T]. NaN when no label counts, as in torch.
   */
  public static NDArray loss(NDArray logits, NDArray labels) {
    return reduce(logits, labels, true);
  }

  /**
   * The summed loss over the counted labels: with {@link #countedLabels} over all micro-batches of
   * an optimizer step, what transformers' Trainer divides by {@code num_items_in_batch}.
   */
  public static NDArray sum(NDArray logits, NDArray labels) {
    return reduce(logits, labels, false);
  }

  /** How many labels of [B, T] enter the loss: those after the first column that are not ignored. */
  public static long countedLabels(NDArray labels) {
    try (NDManager scope = labels.getManager().newSubManager()) {
      labels.tempAttach(scope);
      return labels.get(":, 1:").neq(IGNORE_INDEX).countNonzero().getLong();
    }
  }

  private static NDArray reduce(NDArray logits, NDArray labels, boolean mean) {
    NDManager caller = logits.getManager();
    try (NDManager scope = caller.newSubManager()) {
      logits.tempAttach(scope);
      labels.tempAttach(scope);
      NDArray shiftedLogits = logits.get(":, :-1, :").toType(DataType.FLOAT32, false);
      NDArray shiftedLabels = labels.toDevice(logits.getDevice(), false)
          .toType(DataType.INT64, false).get(":, 1:");
      NDArray counted = shiftedLabels.neq(IGNORE_INDEX);
      // ignored positions pick label 0 and are then weighted out
      NDArray safeLabels = shiftedLabels.mul(counted.toType(DataType.INT64, false));
      NDArray logProbs = shiftedLogits.logSoftmax(-1);
      NDArray picked = logProbs.gather(safeLabels.expandDims(-1), -1).squeeze(-1);
      NDArray weight = counted.toType(DataType.FLOAT32, false);
      NDArray result = picked.mul(weight).sum().neg();
      if (mean) result = result.div(weight.sum());
      result.attach(caller);
      return result;
    }
  }
}
