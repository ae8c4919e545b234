package narrow.sparsity;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What shows a group penalty working, computed at every logging step: how many groups have a norm
 * below 1e-3, 1e-2 and 1e-1 of their layer's median (neurons per layer; the residual dimensions
 * among themselves), and the quantiles of the neuron norms.
 */
public final class NormStatistics {
  static final double[] FRACTIONS_OF_MEDIAN = {1e-3, 1e-2, 1e-1};
  static final double[] QUANTILES = {0, 0.1, 0.25, 0.5, 0.75, 0.9, 1};

  private NormStatistics() {}

  /** Log keys: {@code neurons_below_0.001_median}, …, {@code neuron_norm_q0.5}, …, {@code residuals_below_…}. */
  public static Map<String, Object> of(double[][] neuronNorms, double[] residualNorms) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (double f : FRACTIONS_OF_MEDIAN) {
      long below = 0;
      for (double[] layer : neuronNorms) below += countBelow(layer, f * median(layer));
      out.put("neurons_below_" + f + "_median", below);
    }
    double[] all = Arrays.stream(neuronNorms).flatMapToDouble(Arrays::stream).sorted().toArray();
    for (double q : QUANTILES) out.put("neuron_norm_q" + q, quantile(all, q));
    if (residualNorms != null) {
      for (double f : FRACTIONS_OF_MEDIAN) {
        out.put("residuals_below_" + f + "_median", countBelow(residualNorms, f * median(residualNorms)));
      }
    }
    return out;
  }

  /** How many of {@code values} are below {@code threshold}. */
  public static long countBelow(double[] values, double threshold) {
    return Arrays.stream(values).filter(v -> v < threshold).count();
  }

  /** torch.median's: the lower of the two middle values. */
  static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s[(s.length - 1) / 2];
  }

  /** torch.quantile's linear interpolation on sorted values. */
  static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }
}
