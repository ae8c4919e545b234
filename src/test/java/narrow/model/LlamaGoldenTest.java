package narrow.model;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import narrow.engine.Autograd;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import narrow.model.io.Safetensors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The model against PyTorch's answers for the two fixture models: logits, loss, gradients, with
 * the loss back-propagated through torch's own ops and as training does it (its gradient computed
 * with it, {@link CausalLmLoss#withGradient}).
 */
class LlamaGoldenTest {
  private static final double TOLERANCE = 1e-4;

  @ParameterizedTest
  @CsvSource({Fixtures.UNTIED + ",false", Fixtures.TIED + ",false", Fixtures.UNTIED + ",true", Fixtures.TIED + ",true"})
  void logitsLossAndGradientsMatchPyTorch(String name, boolean fused) throws Exception {
    JsonNode golden = Fixtures.golden().get("models").get(name);
    try (TensorScope scope = new TensorScope();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(name))) {
      Map<String, Tensor> expected =
          Safetensors.read(Fixtures.model(name).resolve("golden.safetensors"), narrow.engine.Device.CPU);
      Tensor ids = Fixtures.batch(0, "input_ids");
      Tensor labels = Fixtures.batch(0, "labels");
      Autograd.requireGradients(model.parameters().values());

      double loss;
      try (Autograd.Recording r = Autograd.record()) {
        Tensor logits = model.logits(ids);
        double logitsError = Fixtures.relativeError(Tensors.toFloats(logits),
            Tensors.toFloats(expected.get("logits")));
        System.out.printf("%s logits relative error %.3g%n", name, logitsError);
        assertTrue(logitsError <= TOLERANCE, "logits relative error " + logitsError);
        if (fused) {
          CausalLmLoss.WithGradient withGradient = CausalLmLoss.withGradient(logits, labels, 1);
          loss = Tensors.value(withGradient.loss());
          withGradient.backward(r);
        } else {
          Tensor lossArray = CausalLmLoss.loss(logits, labels);
          loss = Tensors.value(lossArray);
          r.backward(lossArray);
        }
      }
      double expectedLoss = golden.get("loss_batch0").asDouble();
      double lossError = Math.abs(loss - expectedLoss) / Math.abs(expectedLoss);
      Tensor labelsAgain = Fixtures.batch(0, "labels");
      long counted = CausalLmLoss.countedLabels(labelsAgain);
      assertEquals(3 * 23 - 5, counted, "3 rows of 23 targets, 5 ignored");
      try (Autograd.Scope s = Autograd.noGrad()) {
        Tensor logits = model.logits(ids);
        double sum = Tensors.value(CausalLmLoss.sum(logits, labelsAgain));
        assertEquals(expectedLoss, sum / counted, 1e-4 * expectedLoss);
        // evaluation's path: no recording, the chunked loss without its gradient
        assertEquals(expectedLoss, Tensors.value(CausalLmLoss.loss(logits, labelsAgain)), 1e-4 * expectedLoss);
      }
      System.out.printf("%s loss %.8f expected %.8f relative error %.3g%n", name, loss,
          expectedLoss, lossError);
      assertTrue(lossError <= TOLERANCE, "loss relative error " + lossError);

      double worst = 0;
      String worstName = "";
      for (Map.Entry<String, Tensor> p : model.parameters().entrySet()) {
        Tensor want = expected.get("grad." + p.getKey());
        assertNotNull(want, "golden has no grad." + p.getKey());
        Tensor grad = Autograd.gradient(p.getValue());
        assertNotNull(grad, "no gradient for " + p.getKey());
        double err = Fixtures.relativeError(Tensors.toFloats(grad), Tensors.toFloats(want));
        if (err > worst) {
          worst = err;
          worstName = p.getKey();
        }
        assertTrue(err <= TOLERANCE, p.getKey() + " gradient relative error " + err);
      }
      System.out.printf("%s worst gradient relative error %.3g (%s)%n", name, worst, worstName);

      double norm = narrow.train.GradientClipping.globalNorm(
          model.parameters().values().stream().map(Autograd::gradient).toList());
      double expectedNorm = golden.get("grad_global_norm_batch0").asDouble();
      double normError = Math.abs(norm - expectedNorm) / expectedNorm;
      System.out.printf("%s grad norm %.8f expected %.8f relative error %.3g%n", name, norm,
          expectedNorm, normError);
      assertTrue(normError <= TOLERANCE, "global gradient norm relative error " + normError);

      long count = model.parameters().values().stream().mapToLong(Tensors::numel).sum();
      assertEquals(golden.get("num_parameters").asLong(), count);
      assertEquals(count, ModelStats.of(model.config()).nParams());
    }
  }
}
