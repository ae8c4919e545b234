package narrow.prune;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import narrow.engine.Autograd;
import narrow.engine.Tensors;
import narrow.model.Fixtures;
import narrow.model.LlamaForCausalLM;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Attribution scores and the pruned sets against PyTorch's answers for both fixture models. */
class GradientAttributionTest {
  private static final double TOLERANCE = 1e-4;

  @ParameterizedTest
  @ValueSource(strings = {Fixtures.UNTIED, Fixtures.TIED})
  void scoresAndPrunedSetsMatchPyTorch(String name) throws Exception {
    AttributionScores scores;
    try (LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(name))) {
      AttributionSums sums = new GradientAttribution(model)
          .all(List.of(AttributionFixtures.goldenBatch(0), AttributionFixtures.goldenBatch(1)));
      assertEquals(AttributionFixtures.attribution(name).get("num_samples").asLong(), sums.rows());
      assertEquals(2, sums.batches());
      scores = sums.scores();
      Tensor head = model.parameters().get("lm_head.weight");
      // the untied head is not scored, so it is given no gradient: one gradient less in memory
      if (head != null) assertNull(Autograd.gradient(head), "an untied lm_head got a gradient");
    }
    double[][] expected = AttributionFixtures.expectedScores(name);
    double neuronError = AttributionFixtures.relativeError(scores.neuronScoresFlat(), expected[0]);
    double residualError = AttributionFixtures.relativeError(scores.residualScores(), expected[1]);
    System.out.printf("%s attribution: neuron scores relative error %.3g (worst single entry %.3g), "
        + "residual scores %.3g (worst single entry %.3g)%n", name, neuronError,
        AttributionFixtures.worstEntryError(scores.neuronScoresFlat(), expected[0]), residualError,
        AttributionFixtures.worstEntryError(scores.residualScores(), expected[1]));
    assertTrue(neuronError <= TOLERANCE, "neuron scores relative error " + neuronError);
    assertTrue(residualError <= TOLERANCE, "residual scores relative error " + residualError);

    var golden = AttributionFixtures.attribution(name);
    PruningSelection pruned = PruningSelection.lowestScores(scores, golden.get("neuron_sparsity").asDouble(),
        golden.get("residual_sparsity").asDouble());
    // the lists, in ascending score order, not only the sets
    assertEquals(AttributionFixtures.expectedNeurons(name), pruned.neurons());
    assertEquals(AttributionFixtures.expectedResiduals(name), pruned.residuals());
    assertEquals(golden.get("total_neurons").asInt(), pruned.totalNeurons());
    assertEquals(golden.get("total_residuals").asInt(), pruned.totalResiduals());
  }

  /** The selection rule alone, on PyTorch's own scores: it must give PyTorch's lists. */
  @ParameterizedTest
  @ValueSource(strings = {Fixtures.UNTIED, Fixtures.TIED})
  void selectionOfTheGoldenScoresIsTheGoldenSelection(String name) throws Exception {
    double[][] expected = AttributionFixtures.expectedScores(name);
    int layers = 2;
    int per = expected[0].length / layers;
    double[][] byLayer = new double[layers][per];
    for (int l = 0; l < layers; l++) System.arraycopy(expected[0], l * per, byLayer[l], 0, per);
    PruningSelection pruned = PruningSelection.lowestScores(new AttributionScores(byLayer, expected[1], 6), 0.5, 0.25);
    assertEquals(AttributionFixtures.expectedNeurons(name), pruned.neurons());
    assertEquals(AttributionFixtures.expectedResiduals(name), pruned.residuals());
  }

  /** Each batch's sums are its own: the gradients are zero after every batch, and batches add up. */
  @Test
  void gradientsAreZeroedBetweenBatchesAndBatchesAdd() throws Exception {
    try (LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.TIED))) {
      GradientAttribution scorer = new GradientAttribution(model);
      AttributionBatch b0 = AttributionFixtures.goldenBatch(0);
      AttributionBatch b1 = AttributionFixtures.goldenBatch(1);
      AttributionSums first = scorer.batch(b0);
      for (Tensor p : model.parameters().values()) {
        Tensor g = Autograd.gradient(p);
        if (g != null) assertEquals(0, narrow.engine.Ops.countNonzero(g), "gradient left after a batch");
      }
      AttributionSums again = scorer.batch(b0);
      assertArrayEquals(first.residuals(), again.residuals());
      for (int l = 0; l < first.layers(); l++) assertArrayEquals(first.neurons()[l], again.neurons()[l]);

      AttributionSums both = scorer.all(List.of(b0, b1));
      AttributionSums added = first.plus(scorer.batch(b1));
      assertEquals(6, both.rows());
      assertArrayEquals(added.residuals(), both.residuals(), 1e-12);
      assertArrayEquals(added.neurons()[1], both.neurons()[1], 1e-12);
      // the parameters themselves are untouched by the in-place reduction of their gradients
      try (LlamaForCausalLM fresh = LlamaForCausalLM.load(Fixtures.model(Fixtures.TIED))) {
        for (var e : model.parameters().entrySet()) {
          assertArrayEquals(Tensors.toFloats(fresh.parameters().get(e.getKey())), Tensors.toFloats(e.getValue()),
              e.getKey());
        }
      }
    }
  }
}
