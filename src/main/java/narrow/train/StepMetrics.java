package narrow.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one replica measured in one optimizer step: each logged loss summed over its micro-batches
 * (each divided by the accumulation count, so the sum is the step's mean), how many micro-batches
 * gave a non-finite loss, and the tokens it trained on. {@link #reduce} gives every replica the
 * group's numbers, so all log the same values and stop at the same step.
 *
 * @param losses by logged name, in the same order on every replica
 * @param realTokens non-pad tokens
 * @param paddedTokens batch cells, padding included
 */
record StepMetrics(Map<String, Double> losses, long nonFinite, long realTokens, long paddedTokens) {

  StepMetrics {
    losses = new LinkedHashMap<>(losses);
  }

  /** The replicas' mean of each loss and the sum of the counts. */
  StepMetrics reduce(Replicas replicas) {
    if (replicas.size() == 1) return this;
    double[] mine = new double[losses.size() + 3];
    int i = 0;
    for (double v : losses.values()) mine[i++] = v;
    mine[i++] = nonFinite;
    mine[i++] = realTokens;
    mine[i] = paddedTokens;
    double[] all = replicas.sum(mine);
    Map<String, Double> mean = new LinkedHashMap<>();
    int j = 0;
    for (String name : losses.keySet()) mean.put(name, all[j++] / replicas.size());
    return new StepMetrics(mean, Math.round(all[j++]), Math.round(all[j++]), Math.round(all[j]));
  }

  double loss() {
    return losses.get("loss");
  }
}
