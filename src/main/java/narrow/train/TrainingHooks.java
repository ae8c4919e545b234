package narrow.train;

import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * Where later stages plug into the training step without changing it:
 * extra loss terms (group sparsity, distillation), a gradient hook between backward and the
 * optimizer step (the data-parallel all-reduce), and a parameter mask held through training
 * (pruning). All optional; {@link #none()} is plain training.
 *
 * <p>{@code startLog} and {@code evaluateAtStart} concern a fresh run only (not a resumed one):
 * entries put first in {@code trainer_state.json}'s {@code log_history} (pruning's eval loss of
 * the base model), and an evaluation at step 0, after the mask is applied and before any update,
 * logged as training logs its evaluations (when {@code eval_steps} > 0): the start of a recovery
 * curve.
 */
public record TrainingHooks(List<LossTerm> lossTerms, GradientHook gradientHook, ParameterMask mask,
    List<Map<String, Object>> startLog, boolean evaluateAtStart) {

  public TrainingHooks {
    lossTerms = List.copyOf(lossTerms);
    startLog = startLog == null ? List.of() : List.copyOf(startLog);
  }

  public TrainingHooks(List<LossTerm> lossTerms, GradientHook gradientHook, ParameterMask mask) {
    this(lossTerms, gradientHook, mask, List.of(), false);
  }

  public static TrainingHooks none() {
    return new TrainingHooks(List.of(), null, null);
  }

  /**
   * A scalar added to a micro-batch's data loss inside the autograd recording; like the data loss
   * it is divided by the accumulation count. Its value is logged under {@link #name()}
   * (averaged over the logging window, as the loss is). The term runs inside the step's
   * {@link narrow.engine.TensorScope} and under the step's autocast, like the model.
   */
  public interface LossTerm {
    String name();

    /**
     * @param parameters the model's parameters by HF name (recorded: gradients flow through them)
     * @param inputIds the micro-batch [rows, cols]
     * @param labels [rows, cols], -100 where no loss is taken
     * @param logits the model's output [rows, cols, vocab]
     * @param dataLoss the causal-LM loss of this micro-batch, its value only: the trainer
     *     back-propagates it itself (its gradient is computed with it), so a term that scales it
     *     adds nothing to the gradients
     * @param globalStep optimizer steps done before this one
     */
    Tensor compute(Map<String, Tensor> parameters, Tensor inputIds, Tensor labels, Tensor logits,
        Tensor dataLoss, long globalStep);
  }

  /** Sees (and may replace in place) the accumulated gradients before clipping and the optimizer step. */
  @FunctionalInterface
  public interface GradientHook {
    void afterBackward(Map<String, Tensor> gradients, long globalStep);
  }

  /** Applied to the parameters once before training and after every optimizer step. */
  @FunctionalInterface
  public interface ParameterMask {
    void apply(Map<String, Tensor> parameters);
  }
}
