package narrow.report;

/**
 * What the figures need of one row of the {@code runs} table; a null in the table is NaN here.
 *
 * @param nEffectiveParams parameters left after the mask (= n_params when unpruned)
 * @param flops training FLOPs, 6 · n_effective_params · tokens_seen
 */
public record RunInfo(String experiment, String run, String method, double nEffectiveParams,
    double neuronSparsity, double residualSparsity, double flops, double finalEvalLoss) {

  /** How the figures name a run: the study's {@code experiment/run}. */
  public String key() {
    return experiment + "/" + run;
  }
}
