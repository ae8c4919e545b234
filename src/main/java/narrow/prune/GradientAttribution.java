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
  private final List<LayerWeights> layers = new ArrayList<>();
  private final Tensor embedding;
  private final Tensor finalNorm;

  private record LayerWeights(Tensor q, Tensor k, Tensor v, Tensor o, Tensor gate, Tensor up, Tensor down,
      Tensor inputNorm, Tensor postAttentionNorm) {
    List<Tensor> all() {
      return List.of(q, k, v, o, gate, up, down, inputNorm, postAttentionNorm);
    }
  }

  public GradientAttribution(LlamaForCausalLM model) {
    this.model = model;
    this.config = model.config();
    Map<String, Tensor> p = model.parameters();
    this.embedding = p.get("model.embed_tokens.weight");
    this.finalNorm = p.get("model.norm.weight");
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      String n = "model.layers." + i + ".";
      layers.add(new LayerWeights(p.get(n + "self_attn.q_proj.weight"), p.get(n + "self_attn.k_proj.weight"),
          p.get(n + "self_attn.v_proj.weight"), p.get(n + "self_attn.o_proj.weight"),
          p.get(n + "mlp.gate_proj.weight"), p.get(n + "mlp.up_proj.weight"), p.get(n + "mlp.down_proj.weight"),
          p.get(n + "input_layernorm.weight"), p.get(n + "post_attention_layernorm.weight")));
    }
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
      LayerWeights w = layers.get(l);
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
