package narrow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Hugging Face's causal-LM loss: logits at position t predict the label at t+1; cross entropy in
 * float32, averaged over the labels that are not {@link #IGNORE_INDEX}.
 */
public final class CausalLmLoss {
  public static final int IGNORE_INDEX = -100;

  private CausalLmLoss() {}

  /**
   * Mean loss (a float32 scalar in the manager of {@code logits}) of logits [B, T, V] against
   * labels [B, T]. NaN when no label counts, as in torch.
   */
  public static NDArray loss(NDArray logits, NDArray labels) {
    NDManager caller = logits.getManager();
    try (NDManager scope = caller.newSubManager()) {
      logits.tempAttach(scope);
      labels.tempAttach(scope);
      NDArray out = sumAndCount(logits, labels);
      NDArray mean = out.get(0).div(out.get(1));
      mean.attach(caller);
      return mean;
    }
  }

  /**
   * [sum of −log p(label), number of counted labels] as a float32 pair: the pieces a caller
   * needs to average over several micro-batches itself.
   */
  static NDArray sumAndCount(NDArray logits, NDArray labels) {
    NDArray shiftedLogits = logits.get(":, :-1, :").toType(DataType.FLOAT32, false);
    NDArray shiftedLabels = labels.toDevice(logits.getDevice(), false)
        .toType(DataType.INT64, false).get(":, 1:");
    NDArray counted = shiftedLabels.neq(IGNORE_INDEX);
    NDArray safeLabels = shiftedLabels.mul(counted.toType(DataType.INT64, false));
    NDArray logProbs = shiftedLogits.logSoftmax(-1);
    NDArray picked = logProbs.gather(safeLabels.expandDims(-1), -1).squeeze(-1);
    NDArray weight = counted.toType(DataType.FLOAT32, false);
    NDArray sum = picked.mul(weight).sum().neg();
    NDArray count = weight.sum();
    return sum.expandDims(0).concat(count.expandDims(0));
  }
}
