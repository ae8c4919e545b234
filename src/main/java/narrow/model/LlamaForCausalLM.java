package narrow.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import narrow.model.io.DType;
import narrow.model.io.Safetensors;

/**
 * Hugging Face's {@code LlamaForCausalLM}, parameter for parameter and name for name, on DJL's
 * PyTorch engine: embedding; per layer x += attn(rmsnorm(x)), x += mlp(rmsnorm(x)); final norm;
 * head (untied, or the embedding matrix). Parameters live in the model's manager; everything a
 * forward pass creates lives in a sub-manager closed when the pass ends, so long runs do not leak.
 */
public final class LlamaForCausalLM implements AutoCloseable {
  /** Rotary tables from older HF checkpoints: derived from the config, never loaded. */
  private static final String ROTARY_BUFFER_SUFFIX = "rotary_emb.inv_freq";
  /** torch.finfo(float32).min, what HF adds at masked positions. */
  private static final float MASKED = -Float.MAX_VALUE;

  private final LlamaConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> parameters;
  private final NDArray embedTokens;
  private final List<Layer> layers;
  private final NDArray finalNorm;
  private final NDArray lmHead;
  private final float[] inverseFrequencies;
  private volatile boolean halfPrecisionMatmuls;

  /** One decoder layer's weights (views onto {@link #parameters}). */
  private record Layer(NDArray q, NDArray k, NDArray v, NDArray o, NDArray gate, NDArray up,
      NDArray down, NDArray inputNorm, NDArray postAttentionNorm) {}

  private LlamaForCausalLM(LlamaConfig config, Map<String, NDArray> parameters, NDManager manager) {
    this.config = config;
    this.manager = manager;
    this.parameters = Collections.unmodifiableMap(parameters);
    this.embedTokens = parameters.get("model.embed_tokens.weight");
    List<Layer> built = new ArrayList<>();
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      String p = "model.layers." + i + ".";
      built.add(new Layer(parameters.get(p + "self_attn.q_proj.weight"),
          parameters.get(p + "self_attn.k_proj.weight"), parameters.get(p + "self_attn.v_proj.weight"),
          parameters.get(p + "self_attn.o_proj.weight"), parameters.get(p + "mlp.gate_proj.weight"),
          parameters.get(p + "mlp.up_proj.weight"), parameters.get(p + "mlp.down_proj.weight"),
          parameters.get(p + "input_layernorm.weight"),
          parameters.get(p + "post_attention_layernorm.weight")));
    }
    this.layers = List.copyOf(built);
    this.finalNorm = parameters.get("model.norm.weight");
    this.lmHead = config.tieWordEmbeddings() ? embedTokens : parameters.get("lm_head.weight");
    this.inverseFrequencies = Rotary.inverseFrequencies(config);
  }

  // ---------------------------------------------------------------- construction

  /**
   * Every parameter's HF name and shape, in HF's {@code named_parameters()} order. A tied model
   * has no {@code lm_head.weight}.
   */
  public static LinkedHashMap<String, Shape> parameterShapes(LlamaConfig c) {
    long h = c.hiddenSize();
    long q = (long) c.numAttentionHeads() * c.headDim();
    long kv = (long) c.numKeyValueHeads() * c.headDim();
    long inter = c.intermediateSize();
    LinkedHashMap<String, Shape> shapes = new LinkedHashMap<>();
    shapes.put("model.embed_tokens.weight", new Shape(c.vocabSize(), h));
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      String p = "model.layers." + i + ".";
      shapes.put(p + "self_attn.q_proj.weight", new Shape(q, h));
      shapes.put(p + "self_attn.k_proj.weight", new Shape(kv, h));
      shapes.put(p + "self_attn.v_proj.weight", new Shape(kv, h));
      shapes.put(p + "self_attn.o_proj.weight", new Shape(h, q));
      shapes.put(p + "mlp.gate_proj.weight", new Shape(inter, h));
      shapes.put(p + "mlp.up_proj.weight", new Shape(inter, h));
      shapes.put(p + "mlp.down_proj.weight", new Shape(h, inter));
      shapes.put(p + "input_layernorm.weight", new Shape(h));
      shapes.put(p + "post_attention_layernorm.weight", new Shape(h));
    }
    shapes.put("model.norm.weight", new Shape(h));
    if (!c.tieWordEmbeddings()) shapes.put("lm_head.weight", new Shape(c.vocabSize(), h));
    return shapes;
  }

  /**
   * Loads {@code config.json} and the weights ({@code model.safetensors} or a sharded index) of a
   * HF checkpoint folder; parameters become float32 on {@code manager}'s device.
   */
  public static LlamaForCausalLM load(Path dir, NDManager manager) throws IOException {
    LlamaConfig config = LlamaConfig.read(dir.resolve("config.json"));
    checkSupported(config, dir.resolve("config.json"));
    Map<String, NDArray> loaded = Safetensors.readCheckpoint(dir, manager);
    try {
      return new LlamaForCausalLM(config, arrange(config, loaded, dir), manager);
    } catch (IOException | RuntimeException e) {
      loaded.values().forEach(NDArray::close);
      throw e;
    }
  }

  /** Puts loaded tensors in HF order, checking names and shapes; extra tensors are an error. */
  private static LinkedHashMap<String, NDArray> arrange(LlamaConfig config,
      Map<String, NDArray> loaded, Path dir) throws IOException {
    LinkedHashMap<String, Shape> expected = parameterShapes(config);
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : expected.entrySet()) {
      NDArray a = loaded.get(e.getKey());
      if (a == null) throw new IOException(dir + ": checkpoint has no tensor '" + e.getKey() + "'");
      if (!a.getShape().equals(e.getValue())) {
        throw new IOException(dir + ": tensor '" + e.getKey() + "' has shape " + a.getShape()
            + ", the config needs " + e.getValue());
      }
      out.put(e.getKey(), a);
    }
    for (Map.Entry<String, NDArray> e : loaded.entrySet()) {
      if (out.containsKey(e.getKey())) continue;
      boolean tiedHead = config.tieWordEmbeddings() && e.getKey().equals("lm_head.weight");
      if (tiedHead || e.getKey().endsWith(ROTARY_BUFFER_SUFFIX)) {
        e.getValue().close(); // derived: the embedding is the head, rope comes from the config
      } else {
        throw new IOException(dir + ": unexpected tensor '" + e.getKey()
            + "' for a LlamaForCausalLM of this config");
      }
    }
    return out;
  }

  /**
   * A freshly initialised model as HF's {@code _init_weights} makes one: every linear and the
   * embedding drawn from normal(0, initializer_range), the padding id's embedding row zero,
   * norms 1. The numbers come from a seeded Java generator, so the same seed gives the same
   * model on every machine and thread (they do not equal torch's random stream).
   */
  public static LlamaForCausalLM init(LlamaConfig cfg, long seed, NDManager manager) {
    checkSupported(cfg, null);
    SplittableRandom root = new SplittableRandom(seed);
    LinkedHashMap<String, NDArray> params = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : parameterShapes(cfg).entrySet()) {
      SplittableRandom random = root.split(); // one stream per tensor, in HF order
      Shape shape = e.getValue();
      if (shape.dimension() == 1) {
        params.put(e.getKey(), manager.ones(shape, DataType.FLOAT32));
        continue;
      }
      Integer pad = cfg.padTokenId();
      boolean embedding = e.getKey().equals("model.embed_tokens.weight");
      long zeroRow = embedding && pad != null && pad >= 0 && pad < cfg.vocabSize() ? pad : -1;
      params.put(e.getKey(), normalMatrix(shape, cfg.initializerRange(), zeroRow, random, manager));
    }
    return new LlamaForCausalLM(cfg, params, manager);
  }

  /**
   * A [rows, cols] matrix of normal(0, std) draws with one row zeroed (or none: -1), built a
   * bounded block of rows at a time so no Java array or DJL buffer nears 2 GB.
   */
  private static NDArray normalMatrix(Shape shape, double std, long zeroRow, SplittableRandom random,
      NDManager manager) {
    long rows = shape.get(0);
    long cols = shape.get(1);
    long rowsPerBlock = Math.max(1, (1 << 24) / cols);
    NDList blocks = new NDList();
    try {
      for (long first = 0; first < rows; first += rowsPerBlock) {
        long n = Math.min(rowsPerBlock, rows - first);
        float[] values = new float[Math.toIntExact(n * cols)];
        for (int i = 0; i < values.length; i++) values[i] = (float) (random.nextGaussian() * std);
        if (zeroRow >= first && zeroRow < first + n) {
          int from = Math.toIntExact((zeroRow - first) * cols);
          Arrays.fill(values, from, from + (int) cols, 0f);
        }
        blocks.add(manager.create(values, new Shape(n, cols)));
      }
      return blocks.size() == 1 ? blocks.remove(0) : NDArrays.concat(blocks, 0);
    } finally {
      blocks.close();
    }
  }

  /** What this implementation computes: HF's silu MLP without biases. */
  private static void checkSupported(LlamaConfig c, Path where) {
    String prefix = where == null ? "" : where + ": ";
    var act = c.extra().get("hidden_act");
    if (act != null && !act.asText().equals("silu")) {
      throw new IllegalArgumentException(prefix + "hidden_act " + act + " is not supported (silu)");
    }
    for (String bias : List.of("attention_bias", "mlp_bias")) {
      var b = c.extra().get(bias);
      if (b != null && b.asBoolean()) {
        throw new IllegalArgumentException(prefix + bias + " = true is not supported");
      }
    }
    Rotary.inverseFrequencies(c); // rejects unknown rope types early
  }

  public LlamaConfig config() {
    return config;
  }

  /** HF names → float32 parameters in HF order; no {@code lm_head.weight} when tied. */
  public Map<String, NDArray> parameters() {
    return parameters;
  }

  public NDManager manager() {
    return manager;
  }

  public Device device() {
    return manager.getDevice();
  }

  /**
   * Runs the matmuls with float16 operands (float32 everywhere else: norms, softmax, residual
   * stream), the way {@code torch.autocast} treats this model; for evaluation on a GPU. Two limits
   * of DJL 0.35.1's PyTorch JNI (both checked) keep it from being autocast proper: a cast to
   * BFLOAT16 aborts the JVM, and every dtype cast detaches from the autograd graph, so a pass in
   * this mode while grad mode is on is refused rather than silently losing gradients.
   */
  public void setHalfPrecisionMatmuls(boolean on) {
    this.halfPrecisionMatmuls = on;
  }

  public boolean halfPrecisionMatmuls() {
    return halfPrecisionMatmuls;
  }

  // ---------------------------------------------------------------- forward

  /**
   * Logits float32 [B, T, V] for token ids [B, T] (int or long). The result belongs to the
   * manager of {@code inputIds}; everything else the pass creates is freed on return (while
   * grad mode is on, autograd keeps what backward needs).
   */
  public NDArray logits(NDArray inputIds) {
    NDManager caller = inputIds.getManager();
    try (NDManager scope = caller.newSubManager(device())) {
      inputIds.tempAttach(scope);
      NDArray ids = inputIds.toDevice(device(), false).toType(DataType.INT64, false);
      NDArray out = new Pass(scope, ids.getShape().get(1)).logits(ids);
      out.attach(caller);
      return out;
    }
  }

  /** One forward pass: the scope its intermediates live in and the per-length tables. */
  private final class Pass {
    private final NDManager scope;
    private final NDArray cos;
    private final NDArray sin;
    private final NDArray causalMask;
    // scalars the graph keeps for backward: see TorchOwned (never x.mul(2.0) here)
    private final NDArray two;
    private final NDArray rmsEps;
    private final NDArray attentionScale;

    Pass(NDManager scope, long length) {
      this.scope = scope;
      int t = Math.toIntExact(length);
      float[][] cs = Rotary.cosSin(inverseFrequencies, t);
      Shape tableShape = new Shape(t, config.headDim());
      this.cos = TorchOwned.floats(scope, cs[0], tableShape);
      this.sin = TorchOwned.floats(scope, cs[1], tableShape);
      float[] mask = new float[t * t];
      for (int i = 0; i < t; i++) {
        for (int j = i + 1; j < t; j++) mask[i * t + j] = MASKED;
      }
      this.causalMask = TorchOwned.floats(scope, mask, new Shape(t, t));
      this.two = TorchOwned.scalar(scope, 2);
      this.rmsEps = TorchOwned.scalar(scope, config.rmsNormEps());
      this.attentionScale = TorchOwned.scalar(scope, 1.0 / Math.sqrt(config.headDim()));
    }

    NDArray logits(NDArray ids) {
      if (halfPrecisionMatmuls && JniUtils.isGradMode()) {
        throw new IllegalStateException("half-precision matmuls cut the autograd graph on DJL "
            + "0.35.1 (its casts detach); use them only inside Autograd.noGrad()");
      }
      NDArray x = embed(ids);
      for (Layer layer : layers) {
        x = x.add(attention(rmsNorm(x, layer.inputNorm()), layer));
        x = x.add(mlp(rmsNorm(x, layer.postAttentionNorm()), layer));
      }
      return linear(rmsNorm(x, finalNorm), lmHead);
    }

    NDArray embed(NDArray ids) {
      NDArray x = JniUtils.embedding((PtNDArray) ids, (PtNDArray) embedTokens, false);
      Integer pad = config.padTokenId();
      if (pad == null || pad < 0 || pad >= config.vocabSize()) return x;
      // nn.Embedding(padding_idx=pad): the pad row gets no gradient from the lookup.
      NDArray isPad = ids.eq(pad).expandDims(-1).broadcast(x.getShape());
      return NDArrays.where(isPad, x.stopGradient(), x);
    }

    /** RMSNorm in float32: x * rsqrt(mean(x²) + eps), then times the weight. */
    NDArray rmsNorm(NDArray x, NDArray weight) {
      NDArray variance = x.pow(two).mean(new int[] {-1}, true);
      return x.div(variance.add(rmsEps).sqrt()).mul(weight);
    }

    NDArray attention(NDArray x, Layer w) {
      long b = x.getShape().get(0);
      long t = x.getShape().get(1);
      int hd = config.headDim();
      int heads = config.numAttentionHeads();
      int kvHeads = config.numKeyValueHeads();
      NDArray q = linear(x, w.q()).reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
      NDArray k = linear(x, w.k()).reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3);
      NDArray v = linear(x, w.v()).reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3);
      q = rotate(q);
      k = repeatKv(rotate(k), heads / kvHeads);
      v = repeatKv(v, heads / kvHeads);
      NDArray scores = matmul(q, k.transpose(0, 1, 3, 2)).mul(attentionScale);
      NDArray probs = scores.add(causalMask).softmax(-1);
      NDArray context = matmul(probs, v).transpose(0, 2, 1, 3).reshape(b, t, (long) heads * hd);
      return linear(context, w.o());
    }

    /** q·cos + rotate_half(q)·sin, rotate_half(x) = cat(−x2, x1) over the two halves of a head. */
    NDArray rotate(NDArray x) {
      NDList halves = x.split(2, 3);
      NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), 3);
      return x.mul(cos).add(rotated.mul(sin));
    }

    /** Grouped-query attention: each key/value head serves {@code groups} query heads in a row. */
    NDArray repeatKv(NDArray x, int groups) {
      if (groups == 1) return x;
      Shape s = x.getShape();
      return x.expandDims(2).broadcast(s.get(0), s.get(1), groups, s.get(2), s.get(3))
          .reshape(s.get(0), s.get(1) * groups, s.get(2), s.get(3));
    }

    NDArray mlp(NDArray x, Layer w) {
      NDArray gate = linear(x, w.gate());
      NDArray silu = gate.mul(gate.getNDArrayInternal().sigmoid());
      return linear(silu.mul(linear(x, w.up())), w.down());
    }

    /** x @ weightᵀ (torch.nn.functional.linear); float16 operands when asked. */
    NDArray linear(NDArray x, NDArray weight) {
      if (!halfPrecisionMatmuls) return JniUtils.linear((PtNDArray) x, (PtNDArray) weight, null);
      NDArray w16 = weight.toType(DataType.FLOAT16, false);
      w16.attach(scope); // the cast lands in the parameter's manager otherwise
      NDArray y = JniUtils.linear((PtNDArray) x.toType(DataType.FLOAT16, false), (PtNDArray) w16, null);
      return y.toType(DataType.FLOAT32, false);
    }

    NDArray matmul(NDArray a, NDArray b) {
      if (!halfPrecisionMatmuls) return a.matMul(b);
      return a.toType(DataType.FLOAT16, false).matMul(b.toType(DataType.FLOAT16, false))
          .toType(DataType.FLOAT32, false);
    }
  }

  // ---------------------------------------------------------------- saving

  /**
   * Writes {@code config.json} and the weights ({@code model.safetensors}, or shards and an index
   * past 5 GB) in {@code dtype} (F32 or BF16) into {@code dir}, which is created if needed.
   */
  public void save(Path dir, DType dtype) throws IOException {
    Files.createDirectories(dir);
    config.withTorchDtype(dtype.torchName()).write(dir.resolve("config.json"));
    Safetensors.writeCheckpoint(dir, parameters, dtype, Safetensors.DEFAULT_MAX_SHARD_BYTES);
  }

  @Override
  public void close() {
    parameters.values().forEach(NDArray::close);
  }
}
