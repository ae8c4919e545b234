package narrow.prune;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import narrow.engine.Autograd;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.CausalLmLoss;
import narrow.model.LlamaConfig;
import narrow.model.LlamaForCausalLM;
import narrow.model.LlamaWeights;
import org.bytedeco.pytorch.Tensor;

/**
 * Gradient attribution on one model, one batch at a time: a forward and backward pass of the
 * batch's mean causal-LM loss in float32 (never under autocast: the study scored in the model's
 * float32), then each gradient is reduced at once to per-neuron and per-dimension sums of
 * |g|·(−θ), in place in the gradient's own buffer. So the memory is the model, one gradient and
 * the activations: the study's full-size |gradient| accumulator does not exist.
 *
 * <p>The gradients are zero again after every batch, so each batch's sums are its own. The
 * untied {@code lm_head} is not scored: it gets no gradient here (what it needs to pass on to the
 * rest of the model is computed all the same). A tied model's embedding gradient includes the
 * head's, as in the study.
 */
public final class GradientAttribution {
  private final LlamaForCausalLM model;
  private final LlamaConfig config;
  private final List<LlamaWeights.Layer<Tensor>> layers;
  private final Tensor embedding;
  private final Tensor finalNorm;

  public GradientAttribution(LlamaForCausalLM model) {
    this.model = model;
    this.config = model.config();
    Map<String, Tensor> p = model.parameters();
    LlamaWeights<Tensor> w = model.weights();
    this.embedding = w.embedTokens();
    this.finalNorm = w.norm();
    this.layers = w.layers();
    List<Tensor> scored = new ArrayList<>(List.of(embedding, finalNorm));
    layers.forEach(l -> scored.addAll(l.all()));
    Autograd.requireGradients(scored);
    Autograd.zeroGradients(p.values()); // whatever an earlier user left must not count
  }

  /** The sums of a batch given as arrays (tensors made on the model's device). */
  public AttributionSums batch(AttributionBatch b) {
    try (TensorScope scope = new TensorScope()) {
      return batch(b.idsTensor(model.device()), b.labelsTensor(model.device()));
    }
  }

  /** The sums of one batch: ids and labels [B, T], labels -100 where no loss is taken. */
  public AttributionSums batch(Tensor inputIds, Tensor labels) {
    try (TensorScope scope = new TensorScope()) {
      try (Autograd.Recording r = Autograd.record()) {
        CausalLmLoss.WithGradient loss = CausalLmLoss.withGradient(model.logits(inputIds), labels, 1);
        double value = Tensors.value(loss.loss());
        if (!Double.isFinite(value)) {
          throw new IllegalStateException("attribution batch of " + inputIds.size(0) + " rows has loss " + value
              + " (no label to predict, or a diverged model)");
        }
        loss.backward(r);
      }
      try (Autograd.Scope noGrad = Autograd.noGrad()) {
        AttributionSums sums = reduceGradients(inputIds.size(0));
        Autograd.zeroGradients(model.parameters().values()); // the reduction overwrote them
        return sums;
      }
    }
  }

  /** Every batch's sums added up. */
  public AttributionSums all(Iterable<AttributionBatch> batches) {
    AttributionSums total = zeroSums();
    for (AttributionBatch b : batches) total = total.plus(batch(b));
    return total;
  }

  public AttributionSums zeroSums() {
    return AttributionSums.zero(config.numHiddenLayers(), config.intermediateSize(), config.hiddenSize());
  }

  /**
   * |g|·(−θ) of every scored parameter, summed over what does not index a neuron or a dimension.
   * Weights are [out, in]: a neuron is a row of gate/up and a column of down; a dimension is an
   * input column of q/k/v/gate/up and an output row of o/down.
   */
  private AttributionSums reduceGradients(long rows) {
    int inter = config.intermediateSize();
    double[][] neurons = new double[layers.size()][inter];
    double[] residuals = new double[config.hiddenSize()];
    addNegated(residuals, weighted(embedding).sum(0)); // embedding columns
    for (int l = 0; l < layers.size(); l++) {
      LlamaWeights.Layer<Tensor> w = layers.get(l);
      Tensor gate = weighted(w.gate());
      Tensor up = weighted(w.up());
      Tensor down = weighted(w.down());
      addNegated(neurons[l], gate.sum(1));
      addNegated(neurons[l], up.sum(1));
      addNegated(neurons[l], down.sum(0));
      addNegated(residuals, gate.sum(0));
      addNegated(residuals, up.sum(0));
      addNegated(residuals, down.sum(1));
      for (Tensor in : List.of(w.q(), w.k(), w.v())) addNegated(residuals, weighted(in).sum(0));
      addNegated(residuals, weighted(w.o()).sum(1));
      addNegated(residuals, weighted(w.inputNorm()));
      addNegated(residuals, weighted(w.postAttentionNorm()));
    }
    addNegated(residuals, weighted(finalNorm));
    return new AttributionSums(neurons, residuals, rows, 1);
  }

  /** |g|·θ, computed in the gradient's buffer (it is zeroed after the batch anyway). */
  private static Tensor weighted(Tensor parameter) {
    Tensor g = Autograd.gradient(parameter);
    if (g == null) throw new IllegalStateException("a scored parameter got no gradient");
    return g.abs_().mul_(parameter);
  }

  /** target −= v: the sums are of |g|·(−θ). Float32 on the device, accumulated in float64 here. */
  private static void addNegated(double[] target, Tensor v) {
    float[] values = Tensors.toFloats(v);
    if (values.length != target.length) {
      throw new IllegalStateException("reduced to " + values.length + " values, expected " + target.length);
    }
    for (int i = 0; i < values.length; i++) target[i] -= values[i];
  }
}
