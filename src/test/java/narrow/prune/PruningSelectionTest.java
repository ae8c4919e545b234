package narrow.prune;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import narrow.prune.PruningSelection.Neuron;
import org.junit.jupiter.api.Test;

class PruningSelectionTest {
  @Test
  void lowestFirstTiesInIndexOrderNeuronsRankedAcrossLayers() {
    AttributionScores s = new AttributionScores(
        new double[][] {{0.5, 0.1, 0.3, 0.1}, {0.1, 0.0, 0.9, 0.3}},
        new double[] {2, 1, 1, 0, 3, 1, 5, 7}, 1);
    PruningSelection p = PruningSelection.lowestScores(s, 0.5, 0.5);
    assertEquals(List.of(new Neuron(1, 1), new Neuron(0, 1), new Neuron(0, 3), new Neuron(1, 0)), p.neurons());
    assertEquals(List.of(3, 1, 2, 5), p.residuals());
    assertEquals(8, p.totalNeurons());
    assertEquals(8, p.totalResiduals());
  }

  @Test
  void countIsPythonsIntOfTheProduct() {
    assertEquals(96, PruningSelection.pruneCount(192, 0.5, "neuron"));
    assertEquals(16, PruningSelection.pruneCount(64, 0.25, "residual"));
    assertEquals(9, PruningSelection.pruneCount(10, 0.95, "neuron")); // 9.5 truncated, not rounded
    assertEquals(28, PruningSelection.pruneCount(100, 0.29, "neuron")); // 28.999999999999996 in floats
    assertEquals(1945, PruningSelection.pruneCount(2048, 0.95, "residual"));
    assertEquals(124518, PruningSelection.pruneCount(16 * 8192, 0.95, "neuron"));
    assertEquals(0, PruningSelection.pruneCount(64, 0, "residual"));
    assertEquals(64, PruningSelection.pruneCount(64, 1, "residual"));
    assertThrows(IllegalArgumentException.class, () -> PruningSelection.pruneCount(64, 1.5, "residual"));
    assertThrows(IllegalArgumentException.class, () -> PruningSelection.pruneCount(64, Double.NaN, "residual"));
  }

  @Test
  void aNonFiniteScoreIsRefused() {
    AttributionScores s = new AttributionScores(new double[][] {{0.1, Double.NaN}}, new double[] {1, 2}, 1);
    var e = assertThrows(IllegalArgumentException.class, () -> PruningSelection.lowestScores(s, 0.5, 0.5));
    assertTrue(e.getMessage().contains("not finite"), e.getMessage());
  }
}
