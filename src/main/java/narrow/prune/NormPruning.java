package narrow.prune;

import narrow.model.LlamaForCausalLM;
import narrow.sparsity.GroupNorms;

/**
 * Pruning by norm: each MLP neuron and residual-stream dimension scored by the L2 norm of its
 * parameter group in the given model ({@link GroupNorms}), the lowest pruned as attribution
 * prunes its lowest scores, or every group under a threshold. After group-sparsity fine-tuning
 * this cuts the neurons the penalty zeroed, and asks what that costs.
 */
public final class NormPruning {
  private NormPruning() {}

  /** The group norms as scores ({@code samples} 0: no data is read). */
  public static AttributionScores scores(LlamaForCausalLM model) {
    return new AttributionScores(GroupNorms.neurons(model.weights()), GroupNorms.residuals(model.weights()), 0);
  }

  /**
   * The lowest-norm groups at the two sparsities, or, with a threshold, every neuron and dimension
   * whose norm is below it (the sparsities are then ignored).
   */
  public static PruningSelection select(AttributionScores norms, double neuronSparsity, double residualSparsity,
      Double threshold) {
    if (threshold == null) return PruningSelection.lowestScores(norms, neuronSparsity, residualSparsity);
    return PruningSelection.below(norms, threshold);
  }
}
