package narrow.sparsity;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The penalty's weight λ over a run, as the study's {@code tuneprune-autoadjust.py} steers it:
 * the data loss is smoothed every step (an exponential moving average); at the end of
 * {@code reg_warmup_steps} (step 1 without warmup) the smoothed loss becomes the reference, and
 * every {@code adjust_steps} after the warmup λ is multiplied by {@code dec_factor} if the smoothed
 * loss rose above the reference, else by {@code inc_factor}, and the reference moves to the
 * smoothed loss. Fixed λ when not adaptive (the smoothed loss is still logged).
 */
public final class AdaptiveLambda {

  /**
   * @param adaptive whether λ is steered at all
   * @param smoothing the EMA factor β: smoothed = β · smoothed + (1 − β) · loss
   */
  public record Settings(double initial, boolean adaptive, int adjustSteps, int warmupSteps, double incFactor,
      double decFactor, double smoothing) implements Serializable {

    public static Settings fixed(double lambda) {
      return new Settings(lambda, false, 200, 0, 1.1, 0.6, 0.99);
    }
  }

  private final Settings settings;
  private double lambda;
  private double smoothed = Double.NaN;
  private double reference = Double.NaN;

  public AdaptiveLambda(Settings settings) {
    this.settings = settings;
    this.lambda = settings.initial();
  }

  /** λ for the step being taken. */
  public double lambda() {
    return lambda;
  }

  /** The smoothed data loss, NaN before the first step. */
  public double smoothedLoss() {
    return smoothed;
  }

  /** Takes step {@code step}'s data loss (1-based step); λ changes for the steps after it. */
  public void observe(long step, double dataLoss) {
    double b = settings.smoothing();
    smoothed = Double.isNaN(smoothed) ? dataLoss : b * smoothed + (1 - b) * dataLoss;
    if (!settings.adaptive()) return;
    int warmup = settings.warmupSteps();
    if (step == Math.max(1, warmup)) {
      reference = smoothed;
    } else if (step > warmup && (step - warmup) % settings.adjustSteps() == 0) {
      lambda *= smoothed > reference ? settings.decFactor() : settings.incFactor();
      reference = smoothed;
    }
  }

  public Map<String, Double> state() {
    Map<String, Double> s = new LinkedHashMap<>();
    s.put("lambda", lambda);
    // NaN (not yet known) is left out: JSON has no NaN
    if (!Double.isNaN(smoothed)) s.put("smoothed_loss", smoothed);
    if (!Double.isNaN(reference)) s.put("reference_loss", reference);
    return s;
  }

  public void restore(Map<String, Double> s) {
    if (s.isEmpty()) return;
    lambda = s.get("lambda");
    smoothed = s.getOrDefault("smoothed_loss", Double.NaN);
    reference = s.getOrDefault("reference_loss", Double.NaN);
  }
}
