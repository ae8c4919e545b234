package narrow.prune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code pruning_stats.json} with the study's keys: {@code pruned_neurons} ({@code [layer,
 * neuron]} pairs in the order chosen), {@code pruned_residuals}, {@code neuron_scores} (one list
 * per layer), {@code residual_scores}, {@code total_neurons}, {@code total_residuals},
 * {@code total_neurons_pruned}, {@code total_residuals_pruned}. A random selection has no scores:
 * both score keys are present and {@code null}, so a reader tells the methods apart without
 * guessing from a missing key.
 */
public final class PruningStats {
  public static final String FILE = "pruning_stats.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private PruningStats() {}

  /** @param scores the attribution scores, or null for a random selection */
  public static ObjectNode toJson(PruningSelection selection, AttributionScores scores) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode neurons = root.putArray("pruned_neurons");
    for (PruningSelection.Neuron n : selection.neurons()) neurons.addArray().add(n.layer()).add(n.index());
    ArrayNode residuals = root.putArray("pruned_residuals");
    selection.residuals().forEach(residuals::add);
    if (scores == null) {
      root.putNull("neuron_scores");
      root.putNull("residual_scores");
    } else {
      ArrayNode byLayer = root.putArray("neuron_scores");
      for (double[] layer : scores.neuronScores()) {
        ArrayNode l = byLayer.addArray();
        for (double s : layer) l.add(s);
      }
      ArrayNode res = root.putArray("residual_scores");
      for (double s : scores.residualScores()) res.add(s);
    }
    root.put("total_neurons", selection.totalNeurons());
    root.put("total_residuals", selection.totalResiduals());
    root.put("total_neurons_pruned", selection.neurons().size());
    root.put("total_residuals_pruned", selection.residuals().size());
    return root;
  }

  public static void write(Path file, PruningSelection selection, AttributionScores scores) throws IOException {
    JSON.writeValue(file.toFile(), toJson(selection, scores));
  }
}
