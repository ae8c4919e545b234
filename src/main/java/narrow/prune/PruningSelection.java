package narrow.prune;

import narrow.sparsity.NormStatistics;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Which MLP neurons and residual-stream dimensions are pruned: the index lists a mask and
 * {@code pruning_stats.json} ({@code pruned_neurons}, {@code pruned_residuals}) are written from.
 *
 * @param neurons pruned neurons, in the order chosen (attribution: ascending score)
 * @param residuals pruned residual dimensions, in the order chosen
 * @param totalNeurons neurons of the whole model (layers × intermediate)
 * @param totalResiduals residual dimensions (hidden size)
 */
public record PruningSelection(List<Neuron> neurons, List<Integer> residuals, int totalNeurons,
    int totalResiduals) implements java.io.Serializable {

  /** Neuron {@code index} of the MLP of decoder layer {@code layer}. */
  public record Neuron(int layer, int index) implements java.io.Serializable {}

  public PruningSelection {
    neurons = List.copyOf(neurons);
    residuals = List.copyOf(residuals);
  }

  /**
   * The study's choice: all neurons of all layers ranked together, and the residual dimensions,
   * each ascending by score with ties in index order (a stable sort, as Python's), the first
   * {@link #pruneCount} of each pruned.
   */
  public static PruningSelection lowestScores(AttributionScores scores, double neuronSparsity,
      double residualSparsity) {
    double[] flat = scores.neuronScoresFlat();
    int per = scores.neuronsPerLayer();
    List<Neuron> neurons = new ArrayList<>();
    for (int i : lowest(flat, pruneCount(flat.length, neuronSparsity, "neuron"))) {
      neurons.add(new Neuron(i / per, i % per));
    }
    double[] res = scores.residualScores();
    List<Integer> residuals = lowest(res, pruneCount(res.length, residualSparsity, "residual"));
    return new PruningSelection(neurons, residuals, flat.length, res.length);
  }

  /** Every neuron and residual dimension whose score is below {@code threshold}, in ascending score order. */
  public static PruningSelection below(AttributionScores scores, double threshold) {
    double[] flat = scores.neuronScoresFlat();
    int per = scores.neuronsPerLayer();
    List<Neuron> neurons = new ArrayList<>();
    for (int i : lowest(flat, (int) NormStatistics.countBelow(flat, threshold))) neurons.add(new Neuron(i / per, i % per));
    double[] res = scores.residualScores();
    return new PruningSelection(neurons, lowest(res, (int) NormStatistics.countBelow(res, threshold)), flat.length, res.length);
  }

  /**
   * How many of {@code total} a sparsity prunes: Python's {@code int(total * sparsity)}, as the
   * study computes it (truncated, float rounding of the product included: 100 × 0.29 gives 28).
   */
  public static int pruneCount(int total, double sparsity, String what) {
    if (!(sparsity >= 0 && sparsity <= 1)) {
      throw new IllegalArgumentException(what + " sparsity must be in [0, 1], got " + sparsity);
    }
    return (int) (total * sparsity);
  }

  /** Indices of the {@code count} lowest values, ascending, ties in index order. */
  static List<Integer> lowest(double[] values, int count) {
    for (int i = 0; i < values.length; i++) {
      // a NaN (a diverged batch) has no place in an order; Python's sort would put it anywhere
      if (!Double.isFinite(values[i])) {
        throw new IllegalArgumentException("attribution score " + i + " is " + values[i]
            + ": a batch's loss or gradient was not finite");
      }
    }
    // List.sort is a stable merge sort, so equal scores keep index order
    List<Integer> order = new ArrayList<>(IntStream.range(0, values.length).boxed().toList());
    order.sort(Comparator.comparingDouble(i -> values[i]));
    return List.copyOf(order.subList(0, count));
  }
}
