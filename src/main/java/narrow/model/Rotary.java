package narrow.model;

/**
 * Rotary position embedding tables, computed the way transformers' {@code LlamaRotaryEmbedding}
 * computes them: every step in float32 (Java {@code float} arithmetic mirrors the torch float32
 * tensor ops one by one), including the {@code llama3} frequency rule.
 */
public final class Rotary {
  private Rotary() {}

  /** Inverse frequencies, {@code head_dim / 2} of them, after rope scaling. */
  public static float[] inverseFrequencies(LlamaConfig cfg) {
    int dim = cfg.headDim();
    float base = (float) cfg.ropeTheta();
    float[] inv = new float[dim / 2];
    for (int i = 0; i < inv.length; i++) {
      // 1.0 / (base ** (arange(0, dim, 2).float() / dim))
      float exponent = (float) (2 * i) / (float) dim;
      float power = (float) Math.pow(base, exponent);
      inv[i] = 1.0f / power;
    }
    LlamaConfig.RopeScaling rs = cfg.ropeScaling();
    if (rs == null || rs.ropeType().equals("default")) return inv;
    if (!rs.ropeType().equals("llama3")) {
      throw new IllegalArgumentException("rope_scaling type '" + rs.ropeType()
          + "' is not supported (only llama3 and plain rope)");
    }
    return llama3(inv, rs);
  }

  /**
   * The llama3 rule: long wavelengths (> original context / low_freq_factor) are slowed by
   * {@code factor}, short ones (< original / high_freq_factor) kept, those between interpolated.
   */
  static float[] llama3(float[] inv, LlamaConfig.RopeScaling rs) {
    float factor = (float) rs.factor();
    float low = (float) rs.lowFreqFactor();
    float high = (float) rs.highFreqFactor();
    float oldContext = (float) rs.originalMaxPositionEmbeddings();
    float lowFreqWavelen = (float) (rs.originalMaxPositionEmbeddings() / rs.lowFreqFactor());
    float highFreqWavelen = (float) (rs.originalMaxPositionEmbeddings() / rs.highFreqFactor());
    float twoPi = (float) (2 * Math.PI);
    float[] out = new float[inv.length];
    for (int i = 0; i < inv.length; i++) {
      // python scalar / tensor is tensor.reciprocal() * scalar in torch
      float wavelen = (1.0f / inv[i]) * twoPi;
      float scaled = wavelen > lowFreqWavelen ? inv[i] / factor : inv[i];
      boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
      if (medium) {
        float smooth = ((1.0f / wavelen) * oldContext - low) / (high - low);
        scaled = (1 - smooth) * scaled / factor + smooth * scaled;
      }
      out[i] = scaled;
    }
    return out;
  }

  /**
   * cos and sin tables [positions, head_dim] for positions 0..length-1: the angles
   * position × inv_freq (one float32 product, as torch's matmul of the outer product gives),
   * repeated for both halves as {@code cat(freqs, freqs)}.
   */
  public static float[][] cosSin(float[] inv, int length) {
    int half = inv.length;
    int dim = 2 * half;
    float[] cos = new float[length * dim];
    float[] sin = new float[length * dim];
    for (int t = 0; t < length; t++) {
      for (int i = 0; i < half; i++) {
        float angle = (float) t * inv[i];
        float c = (float) Math.cos(angle);
        float s = (float) Math.sin(angle);
        cos[t * dim + i] = c;
        cos[t * dim + half + i] = c;
        sin[t * dim + i] = s;
        sin[t * dim + half + i] = s;
      }
    }
    return new float[][] {cos, sin};
  }
}
