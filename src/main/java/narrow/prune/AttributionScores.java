package narrow.prune;

/**
 * The study's attribution scores (higher: more important): per MLP neuron of each layer and per
 * residual-stream dimension, |Σ over batches of |∂loss/∂θ| / samples · (−θ)| summed over the
 * neuron's or dimension's entries. What {@code pruning_stats.json} calls {@code neuron_scores}
 * (by layer) and {@code residual_scores}.
 *
 * @param neuronScores [layers][intermediate]
 * @param residualScores [hidden]
 * @param samples the rows scored
 */
public record AttributionScores(double[][] neuronScores, double[] residualScores, long samples) {
  public int layers() {
    return neuronScores.length;
  }

  public int neuronsPerLayer() {
    return neuronScores.length == 0 ? 0 : neuronScores[0].length;
  }

  public int totalNeurons() {
    return layers() * neuronsPerLayer();
  }

  public int totalResiduals() {
    return residualScores.length;
  }

  /** All neuron scores layer after layer (the order ties are broken in). */
  public double[] neuronScoresFlat() {
    int per = neuronsPerLayer();
    double[] out = new double[totalNeurons()];
    for (int l = 0; l < layers(); l++) System.arraycopy(neuronScores[l], 0, out, l * per, per);
    return out;
  }
}
