package narrow.study;

/**
 * How one run of the grid ended, a row of the summary.
 *
 * @param runDir the run's folder, or null when its config could not be read
 * @param before where the run stood when the runner came to it; null when its config could not be read
 * @param detail what was done ({@code resumed at step 2, trained to step 4}), or the failure's one line
 * @param finalEvalLoss the last eval_loss of its final model, or null (none, or failed)
 */
public record RunOutcome(String run, String runDir, RunState before, Result result, String detail,
    Double finalEvalLoss, double seconds) {

  public enum Result { SKIPPED, FINISHED, FAILED }
}
