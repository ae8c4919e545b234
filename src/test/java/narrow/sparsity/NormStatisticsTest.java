package narrow.sparsity;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

class NormStatisticsTest {
  @Test
  void countsNormsBelowFractionsOfEachLayersMedian() {
    double[][] neurons = {{1, 1, 1, 0.0005, 0.005}, {100, 100, 100, 5, 0.05}};
    // layer 0: median 1 → below 0.001: 1, below 0.01: 2, below 0.1: 2
    // layer 1: median 100 → below 0.1: 1 (0.05), below 1: 1, below 10: 2 (0.05, 5)
    Map<String, Object> s = NormStatistics.of(neurons, new double[] {2, 2, 2, 0.001});
    assertEquals(2L, s.get("neurons_below_0.001_median"));
    assertEquals(3L, s.get("neurons_below_0.01_median"));
    assertEquals(4L, s.get("neurons_below_0.1_median"));
    assertEquals(0.0005, (double) s.get("neuron_norm_q0.0"), 0);
    assertEquals(100.0, (double) s.get("neuron_norm_q1.0"), 0);
    assertEquals(1.0, (double) s.get("neuron_norm_q0.5"), 0, "the middle of ten sorted values, interpolated");
    assertEquals(1L, s.get("residuals_below_0.001_median"));
  }
}
