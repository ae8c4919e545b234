package narrow.prune;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PruningStatsTest {
  @TempDir Path tmp;

  static final PruningSelection SELECTION = new PruningSelection(
      List.of(new PruningSelection.Neuron(1, 2), new PruningSelection.Neuron(0, 0)), List.of(3), 6, 4);

  @Test
  void attributionStatsCarryTheStudysKeysAndScoresByLayer() throws Exception {
    var scores = new AttributionScores(new double[][] {{0.1, 0.5, 0.6}, {0.7, 0.8, 0.05}},
        new double[] {1, 2, 3, 0.5}, 8);
    Path f = tmp.resolve(PruningStats.FILE);
    PruningStats.write(f, SELECTION, scores);
    JsonNode j = new ObjectMapper().readTree(f.toFile());
    assertEquals(List.of("pruned_neurons", "pruned_residuals", "neuron_scores", "residual_scores", "total_neurons",
        "total_residuals", "total_neurons_pruned", "total_residuals_pruned"), iterate(j));
    assertEquals("[[1,2],[0,0]]", j.get("pruned_neurons").toString());
    assertEquals("[3]", j.get("pruned_residuals").toString());
    assertEquals("[[0.1,0.5,0.6],[0.7,0.8,0.05]]", j.get("neuron_scores").toString());
    assertEquals("[1.0,2.0,3.0,0.5]", j.get("residual_scores").toString());
    assertEquals(6, j.get("total_neurons").asInt());
    assertEquals(4, j.get("total_residuals").asInt());
    assertEquals(2, j.get("total_neurons_pruned").asInt());
    assertEquals(1, j.get("total_residuals_pruned").asInt());
  }

  @Test
  void randomStatsHaveNullScores() {
    JsonNode j = PruningStats.toJson(SELECTION, null);
    assertTrue(j.get("neuron_scores").isNull());
    assertTrue(j.get("residual_scores").isNull());
    assertEquals(2, j.get("total_neurons_pruned").asInt());
  }

  @Test
  void metadataHasTheStudysKeysAndTheRecoveryLosses() throws Exception {
    var m = new ExperimentMetadata("Llama-3.2-1B", 0.5, 0.2, "2026-11-23T17:00:00", "attribution", 3, 64, 8, false, "abc",
        2.5, 7.0, null, Map.of("mask_files", 1.5), Map.of("narrow", "test"));
    m = m.finished(3.0, "training", 10.0);
    Path f = tmp.resolve(ExperimentMetadata.FILE);
    m.write(f);
    JsonNode j = new ObjectMapper().readTree(f.toFile());
    assertEquals("Llama-3.2-1B", j.get("model_name").asText());
    assertEquals(0.5, j.get("neuron_sparsity").asDouble());
    assertEquals(0.2, j.get("residual_sparsity").asDouble());
    assertEquals("2026-11-23T17:00:00", j.get("run_date").asText());
    assertEquals(2.5, j.get("eval_loss_before_pruning").asDouble());
    assertEquals(7.0, j.get("eval_loss_after_pruning").asDouble());
    assertEquals(3.0, j.get("eval_loss_final").asDouble());
    assertEquals(10.0, j.get("timings_seconds").get("training").asDouble());
    assertEquals("abc", j.get("data_manifest_checksum").asText());
    assertEquals(64, j.get("samples").asInt());
    assertEquals(8, j.get("batch_size").asInt());
    assertThrows(IllegalArgumentException.class, () -> new ExperimentMetadata("m", 0, 0, "d", "magnitude", 0, 0, 0,
        false, null, null, null, null, Map.of(), Map.of()));
  }

  /** What a resumed recovery reads back is what was written; a file missing a key is refused naming both. */
  @Test
  void metadataReadsBackAsWritten() throws Exception {
    var m = new ExperimentMetadata("Llama-3.2-1B", 0.5, 0.2, "2026-11-23T17:00:00", "random", 3, 0, 0, true, null,
        2.5, 7.0, null, Map.of("random_draw", 0.25, "mask_files", 1.5), Map.of("narrow", "test"));
    Path f = tmp.resolve(ExperimentMetadata.FILE);
    m.write(f);
    assertEquals(m, ExperimentMetadata.read(java.nio.file.Files.readAllBytes(f), f.toString()));
    assertEquals(m, ExperimentMetadata.read(m.toBytes(), "bytes"));
    var noSeed = (com.fasterxml.jackson.databind.node.ObjectNode) m.toJson();
    noSeed.remove("seed");
    IOException e = assertThrows(IOException.class, () -> ExperimentMetadata.read(noSeed.toString().getBytes(), "F"));
    assertEquals("F: no \"seed\"", e.getMessage());
  }

  private static List<String> iterate(JsonNode j) {
    List<String> names = new java.util.ArrayList<>();
    j.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
