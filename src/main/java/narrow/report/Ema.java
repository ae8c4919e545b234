package narrow.report;

/**
 * The exponential moving average the study smooths its loss curves with: pandas'
 * {@code Series.ewm(alpha=α).mean()} with its defaults ({@code adjust=True},
 * {@code ignore_na=False}, {@code min_periods=0}), so that a curve here and one the study's
 * notebooks draw from the same history are the same line.
 */
public final class Ema {
  /** The study's smoothing of {@code train/loss}: {@code ewm(alpha=0.01)}. */
  public static final double STUDY_ALPHA = 0.01;

  private Ema() {}

  /**
   * Each value's weighted mean of it and those before it, weight {@code (1-α)^k} for the value
   * {@code k} positions back. A missing value (NaN) takes no weight but still ages the ones before
   * it (pandas' {@code ignore_na=False}) and repeats the mean so far; NaNs before the first value
   * stay NaN.
   */
  public static double[] of(double[] values, double alpha) {
    if (!(alpha > 0 && alpha <= 1)) throw new IllegalArgumentException("alpha must be in (0, 1]: " + alpha);
    double[] out = new double[values.length];
    double mean = Double.NaN;
    double oldWeight = 1;   // the sum of the weights of the values seen, relative to the newest
    for (int i = 0; i < values.length; i++) {
      double x = values[i];
      if (Double.isNaN(mean)) {
        mean = x;   // the first value (pandas starts its weight at 1 there)
      } else {
        oldWeight *= 1 - alpha;
        if (!Double.isNaN(x)) {
          // pandas skips the division when nothing changes: the same mean, without rounding
          if (mean != x) mean = (oldWeight * mean + x) / (oldWeight + 1);
          oldWeight += 1;
        }
      }
      out[i] = mean;
    }
    return out;
  }
}
