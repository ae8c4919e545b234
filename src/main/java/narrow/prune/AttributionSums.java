package narrow.prune;

import java.io.Serializable;

/**
 * Partial attribution sums of some batches: for each MLP neuron and each residual-stream
 * dimension, Σ |∂loss_b/∂θ|·(−θ) over the batches' mean losses and over the entries of θ that
 * belong to the neuron or dimension, kept signed (float64) together with the rows they cover.
 *
 * <p>With the weights fixed a score is linear in the per-batch |gradient|, so sums of disjoint
 * batches simply {@link #plus add}, in any grouping (batch, partition, executor), and the
 * study's score, |Σ|gradient| / samples · (−θ)|, is {@code |sum| / rows} at the very end
 * ({@link #scores()}).
 *
 * @param neurons [layers][intermediate]: gate row n, up row n and down column n of each layer
 * @param residuals [hidden]: every entry that reads or writes dimension d
 * @param rows how many sample rows the sums cover (the study's {@code num_samples})
 * @param batches how many batches (backward passes) the sums cover
 */
public record AttributionSums(double[][] neurons, double[] residuals, long rows, long batches)
    implements Serializable {

  public static AttributionSums zero(int layers, int intermediate, int hidden) {
    return new AttributionSums(new double[layers][intermediate], new double[hidden], 0, 0);
  }

  public int layers() {
    return neurons.length;
  }

  public int intermediate() {
    return neurons.length == 0 ? 0 : neurons[0].length;
  }

  public int hidden() {
    return residuals.length;
  }

  /** The sums of both (new arrays: Spark may reuse neither operand). */
  public AttributionSums plus(AttributionSums other) {
    if (other.layers() != layers() || other.intermediate() != intermediate() || other.hidden() != hidden()) {
      throw new IllegalArgumentException("attribution sums of different model shapes: " + shape() + " and "
          + other.shape());
    }
    double[][] n = new double[layers()][];
    for (int l = 0; l < n.length; l++) n[l] = add(neurons[l], other.neurons[l]);
    return new AttributionSums(n, add(residuals, other.residuals), rows + other.rows, batches + other.batches);
  }

  /** The study's scores: |sum| / rows for every neuron and dimension. */
  public AttributionScores scores() {
    if (rows <= 0) throw new IllegalStateException("no attribution rows were scored");
    double[][] n = new double[layers()][];
    for (int l = 0; l < n.length; l++) n[l] = absOver(neurons[l], rows);
    return new AttributionScores(n, absOver(residuals, rows), rows);
  }

  private String shape() {
    return layers() + " layers x " + intermediate() + " neurons, " + hidden() + " dims";
  }

  private static double[] add(double[] a, double[] b) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) out[i] = a[i] + b[i];
    return out;
  }

  private static double[] absOver(double[] sums, long rows) {
    double[] out = new double[sums.length];
    for (int i = 0; i < sums.length; i++) out[i] = Math.abs(sums[i]) / rows;
    return out;
  }
}
