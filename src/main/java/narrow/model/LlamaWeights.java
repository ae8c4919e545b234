package narrow.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A {@code LlamaForCausalLM}'s parameters by role, one value of {@code T} each: their HF names
 * ({@link #names}), shapes ({@link #shapes}), tensors, masks... The one place the HF names are
 * spelled, so that pruning, penalties and statistics reach a layer's MLP as {@code layer.gate()}
 * and never build a name string.
 *
 * @param lmHead the untied head, or null when the embedding is the head
 */
public record LlamaWeights<T>(T embedTokens, List<Layer<T>> layers, T norm, T lmHead) {

  public LlamaWeights {
    layers = List.copyOf(layers);
  }

  /**
   * One decoder layer. Shapes, as {@code nn.Linear} stores them ([out, in]): q [heads·hd, hidden],
   * k and v [kv_heads·hd, hidden], o [hidden, heads·hd], gate and up [intermediate, hidden], down
   * [hidden, intermediate], the norms [hidden]. So MLP neuron j is row j of gate and up and column
   * j of down; residual dimension d is column d of q, k, v, gate, up, row d of o and down, and
   * entry d of both norms.
   */
  public record Layer<T>(T q, T k, T v, T o, T gate, T up, T down, T inputNorm, T postAttentionNorm) {
    public <U> Layer<U> map(Function<? super T, ? extends U> f) {
      return new Layer<>(f.apply(q), f.apply(k), f.apply(v), f.apply(o), f.apply(gate), f.apply(up),
          f.apply(down), f.apply(inputNorm), f.apply(postAttentionNorm));
    }

    /** In HF's {@code named_parameters()} order. */
    public List<T> all() {
      return List.of(q, k, v, o, gate, up, down, inputNorm, postAttentionNorm);
    }

    public List<T> attention() {
      return List.of(q, k, v, o);
    }

    public List<T> mlp() {
      return List.of(gate, up, down);
    }
  }

  /** Each parameter's HF name. */
  public static LlamaWeights<String> names(LlamaConfig c) {
    List<Layer<String>> layers = new ArrayList<>();
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      String p = "model.layers." + i + ".";
      layers.add(new Layer<>(p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight",
          p + "self_attn.v_proj.weight", p + "self_attn.o_proj.weight", p + "mlp.gate_proj.weight",
          p + "mlp.up_proj.weight", p + "mlp.down_proj.weight", p + "input_layernorm.weight",
          p + "post_attention_layernorm.weight"));
    }
    return new LlamaWeights<>("model.embed_tokens.weight", layers, "model.norm.weight",
        c.tieWordEmbeddings() ? null : "lm_head.weight");
  }

  /** Each parameter's shape. */
  public static LlamaWeights<long[]> shapes(LlamaConfig c) {
    long h = c.hiddenSize();
    long q = (long) c.numAttentionHeads() * c.headDim();
    long kv = (long) c.numKeyValueHeads() * c.headDim();
    long inter = c.intermediateSize();
    List<Layer<long[]>> layers = new ArrayList<>();
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      layers.add(new Layer<>(new long[] {q, h}, new long[] {kv, h}, new long[] {kv, h}, new long[] {h, q},
          new long[] {inter, h}, new long[] {inter, h}, new long[] {h, inter}, new long[] {h}, new long[] {h}));
    }
    return new LlamaWeights<>(new long[] {c.vocabSize(), h}, layers, new long[] {h},
        c.tieWordEmbeddings() ? null : new long[] {c.vocabSize(), h});
  }

  /** The values of {@code byName} (e.g. a model's parameters) put in their roles. */
  public static <U> LlamaWeights<U> of(LlamaConfig c, Map<String, U> byName) {
    return names(c).map(byName::get);
  }

  /** The same roles with {@code f} applied to each value; a tied model's head stays null. */
  public <U> LlamaWeights<U> map(Function<? super T, ? extends U> f) {
    List<Layer<U>> mapped = new ArrayList<>();
    for (Layer<T> l : layers) mapped.add(l.map(f));
    return new LlamaWeights<>(f.apply(embedTokens), mapped, f.apply(norm), lmHead == null ? null : f.apply(lmHead));
  }

  /** Every value in HF's {@code named_parameters()} order (a tied model has no head). */
  public List<T> all() {
    List<T> out = new ArrayList<>();
    out.add(embedTokens);
    for (Layer<T> l : layers) out.addAll(l.all());
    out.add(norm);
    if (lmHead != null) out.add(lmHead);
    return out;
  }

  /** Pairs {@code keys}' values with this one's, role by role, in HF order. */
  public static <K, V> LinkedHashMap<K, V> zip(LlamaWeights<K> keys, LlamaWeights<V> values) {
    List<K> k = keys.all();
    List<V> v = values.all();
    if (k.size() != v.size()) throw new IllegalArgumentException("weights of different models");
    LinkedHashMap<K, V> out = new LinkedHashMap<>();
    for (int i = 0; i < k.size(); i++) out.put(k.get(i), v.get(i));
    return out;
  }
}
