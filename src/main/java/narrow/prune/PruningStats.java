package narrow.prune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

  /**
   * What a {@code pruning_stats.json} holds.
   *
   * @param neuronScores by layer, or null (a random selection)
   * @param residualScores or null (a random selection)
   */
  public record Contents(PruningSelection selection, double[][] neuronScores, double[] residualScores) {}

  /**
   * Reads a {@code pruning_stats.json}.
   *
   * @throws IOException when it is not JSON or lacks one of the study's keys
   */
  public static Contents read(java.io.InputStream in) throws IOException {
    JsonNode root = JSON.readTree(in);
    for (String key : List.of("pruned_neurons", "pruned_residuals", "total_neurons", "total_residuals")) {
      if (root == null || !root.hasNonNull(key)) throw new IOException("no " + key);
    }
    List<PruningSelection.Neuron> neurons = new ArrayList<>();
    for (JsonNode n : root.get("pruned_neurons")) neurons.add(new PruningSelection.Neuron(n.get(0).asInt(), n.get(1).asInt()));
    List<Integer> residuals = new ArrayList<>();
    root.get("pruned_residuals").forEach(r -> residuals.add(r.asInt()));
    PruningSelection selection = new PruningSelection(neurons, residuals, root.get("total_neurons").asInt(),
        root.get("total_residuals").asInt());
    double[][] neuronScores = null;
    if (root.hasNonNull("neuron_scores")) {
      JsonNode byLayer = root.get("neuron_scores");
      neuronScores = new double[byLayer.size()][];
      for (int l = 0; l < byLayer.size(); l++) neuronScores[l] = doubles(byLayer.get(l));
    }
    double[] residualScores = root.hasNonNull("residual_scores") ? doubles(root.get("residual_scores")) : null;
    return new Contents(selection, neuronScores, residualScores);
  }

  private static double[] doubles(JsonNode array) {
    double[] out = new double[array.size()];
    for (int i = 0; i < out.length; i++) out[i] = array.get(i).asDouble();
    return out;
  }
}
