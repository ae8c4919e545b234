package narrow.train;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;

/**
 * Where later stages plug into the training step without changing it:
 * extra loss terms (group sparsity, distillation), a gradient hook between backward and the
 * optimizer step (the data-parallel all-reduce), and a parameter mask held through training
 * (pruning). All optional; {@link #none()} is plain training.
 */
public record TrainingHooks(List<LossTerm> lossTerms, GradientHook gradientHook, ParameterMask mask) {

  public TrainingHooks {
    lossTerms = List.copyOf(lossTerms);
  }

  public static TrainingHooks none() {
    return new TrainingHooks(List.of(), null, null);
  }

  /**
   * A scalar added to a micro-batch's data loss inside the autograd recording; like the data loss
   * it is divided by the accumulation count. Its value is logged under {@link #name()}
   * (averaged over the logging window, as the loss is). Scalars in the term's graph come from
   * {@link narrow.model.TorchOwned#scalar}, not {@code x.mul(0.5)}: DJL frees the latter's scalar
   * before backward reads it.
   */
  public interface LossTerm {
    String name();

    /**
     * @param parameters the model's parameters by HF name (recorded: gradients flow through them)
     * @param inputIds the micro-batch [rows, cols]
     * @param labels [rows, cols], -100 where no loss is taken
     * @param logits the model's output [rows, cols, vocab]
     * @param dataLoss the causal-LM loss of this micro-batch
     * @param globalStep optimizer steps done before this one
     */
    NDArray compute(Map<String, NDArray> parameters, NDArray inputIds, NDArray labels, NDArray logits,
        NDArray dataLoss, long globalStep);
  }

  /** Sees (and may replace in place) the accumulated gradients before clipping and the optimizer step. */
  @FunctionalInterface
  public interface GradientHook {
    void afterBackward(Map<String, NDArray> gradients, long globalStep);
  }

  /** Applied to the parameters once before training and after every optimizer step. */
  @FunctionalInterface
  public interface ParameterMask {
    void apply(Map<String, NDArray> parameters);
  }
}
