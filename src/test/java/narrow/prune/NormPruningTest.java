package narrow.prune;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import narrow.engine.Autograd;
import narrow.engine.Ops;
import narrow.engine.TensorScope;
import narrow.model.Fixtures;
import narrow.model.LlamaForCausalLM;
import narrow.model.LlamaWeights;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class NormPruningTest {

  /** Neurons and a dimension zeroed by hand are exactly what a small threshold prunes, and the first by rank. */
  @Test
  void prunesTheGroupsWhoseParametersAreZero() throws Exception {
    try (TensorScope scope = new TensorScope();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.UNTIED))) {
      LlamaWeights<Tensor> w = model.weights();
      try (Autograd.Scope noGrad = Autograd.noGrad()) {
        LlamaWeights.Layer<Tensor> layer1 = w.layers().get(1);
        Ops.zeroSlices(layer1.gate(), 0, new long[] {3, 7});
        Ops.zeroSlices(layer1.up(), 0, new long[] {3, 7});
        Ops.zeroSlices(layer1.down(), 1, new long[] {3, 7});
        int neurons = model.config().intermediateSize() * model.config().numHiddenLayers();
        PruningMask.of(new PruningSelection(List.of(), List.of(5), neurons, model.config().hiddenSize()),
            model.config()).applyTo(model.parameters());
      }
      AttributionScores norms = NormPruning.scores(model);
      assertEquals(0.0, norms.neuronScores()[1][3], 0);
      assertEquals(0.0, norms.residualScores()[5], 0);
      assertTrue(norms.neuronScores()[0][3] > 0);

      PruningSelection under = NormPruning.select(norms, 0, 0, 1e-6);
      assertEquals(List.of(new PruningSelection.Neuron(1, 3), new PruningSelection.Neuron(1, 7)), under.neurons());
      assertEquals(List.of(5), under.residuals());

      int total = norms.totalNeurons();
      PruningSelection ranked = NormPruning.select(norms, 0.25, 0.25, null);
      assertEquals(total / 4, ranked.neurons().size());
      assertEquals(List.of(new PruningSelection.Neuron(1, 3), new PruningSelection.Neuron(1, 7)),
          ranked.neurons().subList(0, 2), "zero norms first, ties in index order");
      assertEquals(5, ranked.residuals().get(0));
    }
  }
}
