package narrow.train;

import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * Where later stages plug into the training step without changing it: the {@link Objective}
 * (what is minimised: the causal-LM loss, a penalty, distillation), a gradient hook between
 * backward and the optimizer step, and a parameter mask held through training (pruning). All
 * optional; {@link #none()} is plain training.
 *
 * <p>{@code startLog} and {@code evaluateAtStart} concern a fresh run only (not a resumed one):
 * entries put first in {@code trainer_state.json}'s {@code log_history} (pruning's eval loss of
 * the base model), and an evaluation at step 0, after the mask is applied and before any update,
 * logged as training logs its evaluations (when {@code eval_steps} > 0): the start of a recovery
 * curve.
 */
public record TrainingHooks(Objective objective, GradientHook gradientHook, ParameterMask mask,
    List<Map<String, Object>> startLog, boolean evaluateAtStart) {

  public TrainingHooks {
    if (objective == null) objective = Objective.CAUSAL_LM;
    startLog = startLog == null ? List.of() : List.copyOf(startLog);
  }

  public TrainingHooks(Objective objective, GradientHook gradientHook, ParameterMask mask) {
    this(objective, gradientHook, mask, List.of(), false);
  }

  public static TrainingHooks none() {
    return new TrainingHooks(null, null, null);
  }

  public TrainingHooks withObjective(Objective o) {
    return new TrainingHooks(o, gradientHook, mask, startLog, evaluateAtStart);
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
