package narrow.bench;

import narrow.model.LlamaConfig;

/**
 * The sizes of a LLaMA model that set its training cost, and that cost in model FLOPs: what the
 * math of one training step needs, however the engine computes it (PaLM's accounting: 6 FLOPs per
 * parameter of every matmul per token, forward and backward, plus the attention scores and
 * weighted sums over the whole sequence, masked half included; the embedding lookup is free).
 */
public record ModelShape(long vocab, long hidden, long layers, long heads, long kvHeads, long headDim,
    long intermediate) {

  public static ModelShape of(LlamaConfig c) {
    return new ModelShape(c.vocabSize(), c.hiddenSize(), c.numHiddenLayers(), c.numAttentionHeads(),
        c.numKeyValueHeads(), c.headDim(), c.intermediateSize());
  }

  /** Weights of one decoder layer's matmuls: q, k, v, o, gate, up, down. */
  public long layerMatmulParams() {
    long q = heads * headDim;
    long kv = kvHeads * headDim;
    return hidden * (q + 2 * kv) + q * hidden + 3 * hidden * intermediate;
  }

  public long headParams() {
    return hidden * vocab;
  }

  /** Training FLOPs of the decoder layers per token: their matmuls and attention over {@code seq}. */
  public double layerFlopsPerToken(int seq) {
    return 6.0 * layers * layerMatmulParams() + 12.0 * layers * heads * headDim * seq;
  }

  /** Training FLOPs of the output head (the vocabulary projection) per token. */
  public double headFlopsPerToken() {
    return 6.0 * headParams();
  }

  public double flopsPerToken(int seq) {
    return layerFlopsPerToken(seq) + headFlopsPerToken();
  }

  /**
   * The matmul rate the model's work can reach given two measured GEMM rates: the layers' at
   * the MLP's shape, the head's at its own (its N is the vocabulary, and it is about half the
   * work of the small models). The time-weighted mean: total FLOPs over the time each part takes.
   */
  public double attainableFlops(int seq, double layerGemmFlops, double headGemmFlops) {
    double layers = layerFlopsPerToken(seq);
    double head = headFlopsPerToken();
    return (layers + head) / (layers / layerGemmFlops + head / headGemmFlops);
  }

  /**
   * A rough upper bound of one training process's resident memory, for deciding how many sides
   * may stay alive at once before any has been measured: weights, gradients and two AdamW
   * moments (16 bytes a parameter, plus a quarter for allocator slack), the float32 logits and
   * their loss buffers and gradients, and each layer's saved activations and attention scores.
   */
  public long estimatedTrainingBytes(int batch, int seq) {
    long params = vocab * hidden * 2 + layers * (layerMatmulParams() + 2 * hidden);
    long tokens = (long) batch * seq;
    long logits = 4L * tokens * vocab * 4;
    long activations = layers * tokens * 4 * (16 * hidden + 4 * intermediate + 4 * heads * seq);
    return params * 20 + logits + activations;
  }
}
