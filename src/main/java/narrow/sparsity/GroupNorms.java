package narrow.sparsity;

import static narrow.engine.Ops.addProduct;
import static narrow.engine.Ops.normsAcross;

import narrow.engine.Device;
import narrow.engine.Ops;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.LlamaWeights;
import org.bytedeco.pytorch.Tensor;

/**
 * The L2 norms of the study's parameter groups, and the gradient of a function of them. An MLP
 * neuron's group is its gate row, its up row and its down column; a residual-stream dimension's
 * is its embedding column, its entry in every norm, the input column of q, k, v, gate and up and
 * the output row of o and down (an untied head is in neither, as in the study). Each norm comes
 * from reductions over the parameters in place, and a gradient is added with one fused
 * multiply-add per parameter: no copy of a weight matrix is made.
 */
public final class GroupNorms {
  private GroupNorms() {}

  /** Neuron norms [layer][neuron]. */
  public static double[][] neurons(LlamaWeights<Tensor> w) {
    double[][] out = new double[w.layers().size()][];
    try (TensorScope scope = new TensorScope()) {
      for (int l = 0; l < out.length; l++) {
        LlamaWeights.Layer<Tensor> layer = w.layers().get(l);
        double[] sq = squares(normsAcross(layer.gate(), 1));
        add(sq, squares(normsAcross(layer.up(), 1)));
        add(sq, squares(normsAcross(layer.down(), 0)));
        out[l] = sqrt(sq);
      }
    }
    return out;
  }

  /** Residual-stream dimension norms [hidden]. */
  public static double[] residuals(LlamaWeights<Tensor> w) {
    try (TensorScope scope = new TensorScope()) {
      double[] sq = squares(normsAcross(w.embedTokens(), 0));
      add(sq, squares(w.norm()));
      for (LlamaWeights.Layer<Tensor> layer : w.layers()) {
        for (Tensor reader : new Tensor[] {layer.q(), layer.k(), layer.v(), layer.gate(), layer.up()}) {
          add(sq, squares(normsAcross(reader, 0)));
        }
        add(sq, squares(normsAcross(layer.o(), 1)));
        add(sq, squares(normsAcross(layer.down(), 1)));
        add(sq, squares(layer.inputNorm()));
        add(sq, squares(layer.postAttentionNorm()));
      }
      return sqrt(sq);
    }
  }

  /** {@code gradients += weight · c[l][j] · θ} over the parameters of neuron j of layer l. */
  public static void addNeuronGradient(LlamaWeights<Tensor> w, LlamaWeights<Tensor> gradients, double[][] c,
      double weight) {
    for (int l = 0; l < c.length; l++) {
      try (TensorScope scope = new TensorScope()) {
        LlamaWeights.Layer<Tensor> p = w.layers().get(l);
        LlamaWeights.Layer<Tensor> g = gradients.layers().get(l);
        Tensor factor = column(c[l], Ops.deviceOf(p.gate()));
        addProduct(require(g.gate()), p.gate(), factor.unsqueeze(1), weight);
        addProduct(require(g.up()), p.up(), factor.unsqueeze(1), weight);
        addProduct(require(g.down()), p.down(), factor.unsqueeze(0), weight);
      }
    }
  }

  /** {@code gradients += weight · c[d] · θ} over the parameters of residual dimension d. */
  public static void addResidualGradient(LlamaWeights<Tensor> w, LlamaWeights<Tensor> gradients, double[] c,
      double weight) {
    try (TensorScope scope = new TensorScope()) {
      Tensor factor = column(c, Ops.deviceOf(w.norm()));
      Tensor asColumns = factor.unsqueeze(0); // scales column d of an [out, hidden] matrix
      Tensor asRows = factor.unsqueeze(1); // scales row d of a [hidden, in] matrix
      addProduct(require(gradients.embedTokens()), w.embedTokens(), asColumns, weight);
      addProduct(require(gradients.norm()), w.norm(), factor, weight);
      for (int l = 0; l < w.layers().size(); l++) {
        LlamaWeights.Layer<Tensor> p = w.layers().get(l);
        LlamaWeights.Layer<Tensor> g = gradients.layers().get(l);
        addProduct(require(g.q()), p.q(), asColumns, weight);
        addProduct(require(g.k()), p.k(), asColumns, weight);
        addProduct(require(g.v()), p.v(), asColumns, weight);
        addProduct(require(g.gate()), p.gate(), asColumns, weight);
        addProduct(require(g.up()), p.up(), asColumns, weight);
        addProduct(require(g.o()), p.o(), asRows, weight);
        addProduct(require(g.down()), p.down(), asRows, weight);
        addProduct(require(g.inputNorm()), p.inputNorm(), factor, weight);
        addProduct(require(g.postAttentionNorm()), p.postAttentionNorm(), factor, weight);
      }
    }
  }

  private static Tensor require(Tensor gradient) {
    if (gradient == null) throw new IllegalStateException("a penalised parameter has no gradient");
    return gradient;
  }

  private static Tensor column(double[] values, Device device) {
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
    return Tensors.floats(f, device, f.length);
  }

  private static double[] squares(Tensor t) {
    float[] v = Tensors.toFloats(t);
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) out[i] = (double) v[i] * v[i];
    return out;
  }

  private static void add(double[] into, double[] v) {
    for (int i = 0; i < into.length; i++) into[i] += v[i];
  }

  private static double[] sqrt(double[] v) {
    for (int i = 0; i < v.length; i++) v[i] = Math.sqrt(v[i]);
    return v;
  }
}
