package narrow.config;

import narrow.sparsity.AdaptiveLambda;
import narrow.sparsity.Penalty;
import narrow.sparsity.SparsitySettings;

/**
 * The {@code sparsity:} section: a group-sparsity penalty added to the training loss (the study's
 * {@code tuneprune15-redo}). Defaults are the study's: {@code l1_of_l2_of_mlps}, λ fixed; with
 * {@code adaptive: true}, λ × {@code inc_factor} (1.1) or × {@code dec_factor} (0.6) every
 * {@code adjust_steps} (200) after {@code reg_warmup_steps} (0), by whether the smoothed data
 * loss (EMA factor {@code smoothing}, 0.99) rose.
 *
 * @param lambda the study's {@code sparsity_lambda}: the penalty's weight (its start when adaptive)
 * @param statistics log the neuron-norm statistics at every logging step (default true)
 */
public record SparsityConfig(Penalty penalty, Double lambda, Boolean adaptive, Integer adjustSteps,
    Integer regWarmupSteps, Double incFactor, Double decFactor, Double smoothing, Boolean statistics) {

  public SparsityConfig {
    penalty = penalty == null ? Penalty.L1_OF_L2_OF_MLPS : penalty;
    adaptive = adaptive != null && adaptive;
    adjustSteps = adjustSteps == null ? 200 : adjustSteps;
    regWarmupSteps = regWarmupSteps == null ? 0 : regWarmupSteps;
    incFactor = incFactor == null ? 1.1 : incFactor;
    decFactor = decFactor == null ? 0.6 : decFactor;
    smoothing = smoothing == null ? 0.99 : smoothing;
    statistics = statistics == null || statistics;
  }

  void validate(ConfigErrors errors) {
    if (errors.requirePresent("sparsity.lambda", lambda)) errors.requireNonNegative("sparsity.lambda", lambda);
    errors.requirePositive("sparsity.adjust_steps", adjustSteps);
    if (regWarmupSteps < 0) errors.add("sparsity.reg_warmup_steps", "must be >= 0, got " + regWarmupSteps);
    if (!(incFactor > 0)) errors.add("sparsity.inc_factor", "must be > 0, got " + incFactor);
    if (!(decFactor > 0)) errors.add("sparsity.dec_factor", "must be > 0, got " + decFactor);
    if (!(smoothing >= 0 && smoothing < 1)) errors.add("sparsity.smoothing", "must be in [0, 1), got " + smoothing);
  }

  public SparsitySettings settings() {
    return new SparsitySettings(penalty, new AdaptiveLambda.Settings(lambda, adaptive, adjustSteps, regWarmupSteps,
        incFactor, decFactor, smoothing), statistics);
  }
}
