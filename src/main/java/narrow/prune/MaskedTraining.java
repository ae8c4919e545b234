package narrow.prune;

import java.util.List;
import narrow.distributed.ReplicaHooks;
import narrow.engine.Autograd;
import narrow.engine.TensorScope;
import narrow.train.TrainingHooks;

/**
 * Recovery training with a pruning mask held. The trainer calls the gradient hook after the
 * replicas' all-reduce and before clipping, so pruned entries' gradients are zero before they
 * count in the gradient norm or reach AdamW's moments; and it applies the parameter mask once
 * before training and after every optimizer step, so pruned weights are exactly zero in every
 * checkpoint. (The study re-masked before its optimizer's update, so its checkpoints held pruned
 * weights of the order of the learning rate: AdamW's weight decay and the bias-corrected update
 * of an old moment still move a zeroed entry.)
 */
public final class MaskedTraining {
  private MaskedTraining() {}

  /** The hooks of one trainer: both zero the mask's entries in place with {@code index_fill_}. */
  public static TrainingHooks hooks(PruningMask mask) {
    return hooks(mask, null);
  }

  /**
   * As {@link #hooks(PruningMask)}, and a recovery curve from step 0: an evaluation of the masked
   * model before any update ({@code eval_loss} at step 0) and, when known, the base model's loss
   * first in {@code log_history} as {@code eval_loss_before_pruning} at step 0.
   */
  public static TrainingHooks hooks(PruningMask mask, Double evalLossBeforePruning) {
    List<java.util.Map<String, Object>> startLog = evalLossBeforePruning == null ? List.of()
        : List.of(java.util.Map.of("eval_loss_before_pruning", evalLossBeforePruning, "step", 0));
    TrainingHooks.GradientHook gradients = (grads, step) -> {
      try (TensorScope scope = new TensorScope(); Autograd.Scope noGrad = Autograd.noGrad()) {
        mask.applyTo(grads);
      }
    };
    TrainingHooks.ParameterMask parameters = params -> {
      try (TensorScope scope = new TensorScope()) {
        mask.applyTo(params);
      }
    };
    return new TrainingHooks(null, gradients, parameters, startLog, true);
  }

  /** Each replica's hooks, built on its executor from the mask's index lists (what is shipped). */
  public static ReplicaHooks replicaHooks(PruningMask mask, Double evalLossBeforePruning) {
    return new MaskReplicaHooks(mask, evalLossBeforePruning);
  }

  private record MaskReplicaHooks(PruningMask mask, Double evalLossBeforePruning) implements ReplicaHooks {
    @Override
    public TrainingHooks create(int rank, int attempt) {
      return hooks(mask, evalLossBeforePruning);
    }
  }
}
