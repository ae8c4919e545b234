package narrow.model;

import static narrow.engine.Ops.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import narrow.engine.Autocast;
import narrow.engine.Blas;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.engine.Torch;
import narrow.engine.DType;
import narrow.model.io.Safetensors;
import narrow.util.UserError;
import org.bytedeco.pytorch.Tensor;

/**
 * Hugging Face's {@code LlamaForCausalLM}, parameter for parameter and name for name, on libtorch:
 * embedding; per layer x += attn(rmsnorm(x)), x += mlp(rmsnorm(x)); final norm; head (untied, or
 * the embedding matrix). Parameters are float32 and owned by the model (freed by {@link #close});
 * what a forward pass creates belongs to the caller's {@link TensorScope}, and each layer's
 * intermediates are freed as soon as the layer is done (autograd keeps what backward needs).
 * Under {@link narrow.engine.Autocast} the matmuls run in bfloat16, as in transformers.
 */
public final class LlamaForCausalLM implements AutoCloseable {
  /** Rotary tables from older HF checkpoints: derived from the config, never loaded. */
  private static final String ROTARY_BUFFER_SUFFIX = "rotary_emb.inv_freq";
  /** torch.finfo(float32).min, what HF adds at masked positions. */
  private static final float MASKED = -Float.MAX_VALUE;

  /** How attention is computed: HF's eager path, or libtorch's fused SDPA kernel. */
  public enum AttentionKernel { EAGER, SDPA }

  private final LlamaConfig config;
  private final Device device;
  private final Map<String, Tensor> parameters;
  private final LlamaWeights<Tensor> weights;
  private final Tensor lmHead;
  private final long paddingIdx;
  private final float[] inverseFrequencies;
  /** Set by {@link #setAttention}, else null: {@link #defaultAttention} decides per pass. */
  private volatile AttentionKernel attention;

  /** Rotary cos/sin [t, head_dim] and, for eager attention, the additive causal mask [t, t]. */
  private record PositionTables(Tensor cos, Tensor sin, Tensor causalMask) {}

  private LlamaForCausalLM(LlamaConfig config, Map<String, Tensor> parameters, Device device) {
    this.config = config;
    this.device = device;
    this.parameters = Collections.unmodifiableMap(parameters);
    this.weights = LlamaWeights.of(config, parameters);
    this.lmHead = config.tieWordEmbeddings() ? weights.embedTokens() : weights.lmHead();
    Integer pad = config.padTokenId();
    this.paddingIdx = pad != null && pad >= 0 && pad < config.vocabSize() ? pad : -1;
    this.inverseFrequencies = Rotary.inverseFrequencies(config);
    this.attention = null; // by device, BLAS and autocast at each pass
  }

  // ---------------------------------------------------------------- construction

  /**
   * Every parameter's HF name and shape, in HF's {@code named_parameters()} order. A tied model
   * has no {@code lm_head.weight}.
   */
  public static LinkedHashMap<String, long[]> parameterShapes(LlamaConfig c) {
    return LlamaWeights.zip(LlamaWeights.names(c), LlamaWeights.shapes(c));
  }

  /**
   * Loads {@code config.json} and the weights ({@code model.safetensors} or a sharded index) of a
   * HF checkpoint folder; parameters become float32 on {@code device}.
   */
  public static LlamaForCausalLM load(Path dir, Device device) throws IOException {
    return load(dir, device, DType.F32);
  }

  /**
   * As {@link #load(Path, Device)}, the parameters in {@code type} (F32 or BF16). A bf16 model is
   * for inference under {@link narrow.engine.Autocast} (a linear of float32 activations and bf16
   * weights has no type outside it), as transformers runs a model loaded with
   * {@code torch_dtype=torch.bfloat16}: half the memory, and no bf16 copy of each weight per pass.
   */
  public static LlamaForCausalLM load(Path dir, Device device, DType type) throws IOException {
    if (type != DType.F32 && type != DType.BF16) {
      throw new IllegalArgumentException("a model is loaded in F32 or BF16, not " + type);
    }
    LlamaConfig config = LlamaConfig.read(dir.resolve("config.json"));
    checkSupported(config, dir.resolve("config.json"));
    Map<String, Tensor> loaded = Safetensors.readCheckpoint(dir, device, type);
    try {
      return new LlamaForCausalLM(config, arrange(config, loaded, dir), device);
    } catch (RuntimeException e) {
      loaded.values().forEach(Tensors::free);
      throw e;
    }
  }

  public static LlamaForCausalLM load(Path dir) throws IOException {
    return load(dir, Device.CPU);
  }

  /**
   * Checks a HF checkpoint folder without loading it: {@code config.json} is one this class runs,
   * and the safetensors headers hold every tensor the config needs, of its shape, a float dtype,
   * within its file's bytes, and no other. Reads headers only (kilobytes for a 1B model).
   *
   * @throws UserError or {@link narrow.model.io.SafetensorsHeader.SafetensorsFormatException}
   *     naming the file and the tensor at fault
   */
  public static void validate(Path dir) throws IOException {
    LlamaConfig config = LlamaConfig.read(dir.resolve("config.json"));
    checkSupported(config, dir.resolve("config.json"));
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (var t : Safetensors.readCheckpointTensors(dir).values()) {
      if (t.dtype() != DType.F32 && t.dtype() != DType.BF16 && t.dtype() != DType.F16) {
        throw new UserError(dir + ": tensor '" + t.name() + "' is " + t.dtype()
            + ", not a float type this reader converts (F32, BF16, F16)");
      }
      shapes.put(t.name(), t.shape());
    }
    checkTensors(config, shapes, dir);
  }

  /** Puts loaded tensors in HF order, checking names and shapes; a missing or extra tensor is the user's to fix. */
  private static LinkedHashMap<String, Tensor> arrange(LlamaConfig config, Map<String, Tensor> loaded,
      Path dir) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    loaded.forEach((name, t) -> shapes.put(name, Tensors.shape(t)));
    checkTensors(config, shapes, dir);
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    for (String name : parameterShapes(config).keySet()) out.put(name, loaded.get(name));
    for (Map.Entry<String, Tensor> e : loaded.entrySet()) {
      // derived: the embedding is the head, rope comes from the config
      if (!out.containsKey(e.getKey())) Tensors.free(e.getValue());
    }
    return out;
  }

  /**
   * Tensor names and shapes against what {@code config} needs, naming the folder, the tensor and
   * the config's value: {@code config.json} and the weights must describe the same model.
   */
  private static void checkTensors(LlamaConfig config, Map<String, long[]> shapes, Path dir) {
    LinkedHashMap<String, long[]> expected = parameterShapes(config);
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      long[] shape = shapes.get(e.getKey());
      if (shape == null) throw new UserError(dir + ": checkpoint has no tensor '" + e.getKey() + "'");
      if (!Arrays.equals(shape, e.getValue())) {
        throw new UserError(dir + ": tensor '" + e.getKey() + "' has shape " + Arrays.toString(shape)
            + ", the config needs " + Arrays.toString(e.getValue()) + " (" + dir.resolve("config.json")
            + " and the weights describe different models)");
      }
    }
    for (String name : shapes.keySet()) {
      boolean tiedHead = config.tieWordEmbeddings() && name.equals("lm_head.weight");
      if (!expected.containsKey(name) && !tiedHead && !name.endsWith(ROTARY_BUFFER_SUFFIX)) {
        throw new UserError(dir + ": unexpected tensor '" + name + "' for a LlamaForCausalLM of this config");
      }
    }
  }

  /**
   * A freshly initialised model as HF's {@code _init_weights} makes one: every linear and the
   * embedding drawn from normal(0, initializer_range), the padding id's embedding row zero,
   * norms 1. The numbers come from a seeded Java generator, so the same seed gives the same
   * model on every machine and thread (they do not equal torch's random stream).
   */
  public static LlamaForCausalLM init(LlamaConfig cfg, long seed, Device device) {
    checkSupported(cfg, null);
    SplittableRandom root = new SplittableRandom(seed);
    LinkedHashMap<String, Tensor> params = new LinkedHashMap<>();
    String embeddingName = LlamaWeights.names(cfg).embedTokens();
    try (TensorScope scope = new TensorScope()) {
      for (Map.Entry<String, long[]> e : parameterShapes(cfg).entrySet()) {
        SplittableRandom random = root.split(); // one stream per tensor, in HF order
        long[] shape = e.getValue();
        Tensor t;
        if (shape.length == 1) {
          t = Tensors.ones(device, shape);
        } else {
          Integer pad = cfg.padTokenId();
          boolean embedding = e.getKey().equals(embeddingName);
          long zeroRow = embedding && pad != null && pad >= 0 && pad < cfg.vocabSize() ? pad : -1;
          t = Tensors.normalMatrix(shape[0], shape[1], cfg.initializerRange(), zeroRow, random, device);
        }
        params.put(e.getKey(), Tensors.own(t));
      }
    }
    return new LlamaForCausalLM(cfg, params, device);
  }

  public static LlamaForCausalLM init(LlamaConfig cfg, long seed) {
    return init(cfg, seed, Device.CPU);
  }

  /** What this implementation computes: HF's silu MLP without biases, plain or llama3 rope. */
  private static void checkSupported(LlamaConfig c, Path where) {
    String prefix = where == null ? "" : where + ": ";
    var act = c.extra().get("hidden_act");
    if (act != null && !act.asText().equals("silu")) {
      throw new UserError(prefix + "hidden_act " + act + " is not supported (silu)");
    }
    for (String bias : List.of("attention_bias", "mlp_bias")) {
      var b = c.extra().get(bias);
      if (b != null && b.asBoolean()) throw new UserError(prefix + bias + " = true is not supported");
    }
    try {
      Rotary.inverseFrequencies(c);
    } catch (IllegalArgumentException e) {
      throw new UserError(prefix + e.getMessage(), e);
    }
  }

  public LlamaConfig config() {
    return config;
  }

  /** HF names → parameters (float32 unless loaded in bf16) in HF order; no {@code lm_head.weight} when tied. */
  public Map<String, Tensor> parameters() {
    return parameters;
  }

  /** The same parameters by role: layer by layer, the head null when tied. */
  public LlamaWeights<Tensor> weights() {
    return weights;
  }

  /** HF's {@code num_parameters(exclude_embeddings=True)}: every parameter but the token embedding. */
  public long nonEmbeddingParameterCount() {
    long n = 0;
    for (Tensor t : weights.all()) n += Tensors.numel(t);
    return n - Tensors.numel(weights.embedTokens());
  }

  public Device device() {
    return device;
  }

  /**
   * The faster kernel by measurement (bench train). GPUs: the fused kernel (flash /
   * memory-efficient, attention memory linear in the length). CPUs where libtorch's BLAS is MKL:
   * SDPA, computed in float32 also under bf16 autocast (the attention pass says why): float32
   * d256_l4_h4 at 4 × 256 1.06×, d768_l12_h12 at 1 × 1024 1.19× eager's speed; bf16 1.06× and
   * 1.15×. Under OpenBLAS HF's eager form: OpenBLAS starts threads of its own inside CPU flash
   * attention's parallel loop (SDPA's forward and backward on [4, 4, 256, 64]:
   * 15–20 ms on 2 OpenBLAS threads, 7 ms on 1).
   */
  public static AttentionKernel defaultAttention(Device device) {
    if (device.isCuda()) return AttentionKernel.SDPA;
    return Torch.blas() == Blas.MKL ? AttentionKernel.SDPA : AttentionKernel.EAGER;
  }

  /** Eager (HF's default, bit-comparable to transformers) or SDPA attention from now on, whatever the default. */
  public void setAttention(AttentionKernel kernel) {
    this.attention = Objects.requireNonNull(kernel);
  }

  /** The kernel a pass runs: the one set, else the device's default. */
  public AttentionKernel attention() {
    AttentionKernel set = attention;
    return set != null ? set : defaultAttention(device);
  }

  // ---------------------------------------------------------------- forward

  /**
   * Logits [B, T, V] for token ids [B, T] (int or long, any device): float32, or bfloat16 under
   * autocast (the loss upcasts, as transformers' does). The result belongs to the caller's scope.
   */
  public Tensor logits(Tensor inputIds) {
    try (TensorScope scope = new TensorScope()) {
      Tensor ids = int64(to(inputIds, device));
      AttentionKernel kernel = attention();
      PositionTables pos = tables(ids.size(1), kernel);
      Tensor x = embedding(weights.embedTokens(), ids, paddingIdx);
      for (LlamaWeights.Layer<Tensor> layer : weights.layers()) {
        try (TensorScope layerScope = new TensorScope()) {
          Tensor h = x.add(attention(rmsNorm(x, layer.inputNorm()), layer, pos, kernel));
          x = layerScope.keep(h.add(mlp(rmsNorm(h, layer.postAttentionNorm()), layer)));
        }
      }
      return scope.keep(linear(rmsNorm(x, weights.norm()), lmHead));
    }
  }

  /** RMSNorm in float32: x · rsqrt(mean(x²) + eps), then times the weight. */
  private Tensor rmsNorm(Tensor x, Tensor weight) {
    Tensor xf = float32(x);
    Tensor variance = meanLastDim(pow(xf, 2));
    return weight.mul(xf.mul(add(variance, config.rmsNormEps()).rsqrt()));
  }

  private Tensor attention(Tensor x, LlamaWeights.Layer<Tensor> w, PositionTables pos, AttentionKernel kernel) {
    long b = x.size(0);
    long t = x.size(1);
    int hd = config.headDim();
    int heads = config.numAttentionHeads();
    int kvHeads = config.numKeyValueHeads();
    Tensor q = rotate(linear(x, w.q()).view(b, t, heads, hd).transpose(1, 2), pos);
    Tensor k = rotate(linear(x, w.k()).view(b, t, kvHeads, hd).transpose(1, 2), pos);
    Tensor v = linear(x, w.v()).view(b, t, kvHeads, hd).transpose(1, 2);
    k = repeatKv(k, heads / kvHeads);
    v = repeatKv(v, heads / kvHeads);
    double scale = 1.0 / Math.sqrt(hd);
    Tensor context;
    if (kernel == AttentionKernel.SDPA && !device.isCuda() && Autocast.bf16Active(device)) {
      // CPU flash attention's bf16 kernel multiplies through ATen's scalar fallback GEMM in this
      // libtorch build (cpublas_gemm_no_downcast_impl, 77% of its time; PyTorch's wheels call MKL's
      // bf16 GEMM there), so under bf16 autocast it runs in float32 on the bf16 q, k, v: exact
      // inputs, float32 products (the bf16 kernel accumulates in float32 too), output back to bf16
      // by o_proj's autocast. d768_l12_h12 at 1 × 1024: 0.47× eager's speed in bf16, 1.15× this way.
      Tensor qf = float32(q), kf = float32(k), vf = float32(v);
      context = Autocast.suspended(device, () -> causalAttention(qf, kf, vf, scale));
    } else if (kernel == AttentionKernel.SDPA) {
      context = causalAttention(q, k, v, scale);
    } else {
      Tensor scores = mul(q.matmul(k.transpose(2, 3)), scale).add(pos.causalMask());
      Tensor probs = typeAs(softmaxFloat32(scores, -1), v);
      context = probs.matmul(v);
    }
    return linear(context.transpose(1, 2).reshape(b, t, (long) heads * hd), w.o());
  }

  /** q·cos + rotate_half(q)·sin, rotate_half(x) = cat(−x2, x1) over the two halves of a head. */
  private static Tensor rotate(Tensor x, PositionTables pos) {
    long half = x.size(3) / 2;
    Tensor rotated = cat(x.narrow(3, half, half).neg(), x.narrow(3, 0, half), 3);
    return x.mul(pos.cos()).add(rotated.mul(pos.sin()));
  }

  /** Grouped-query attention: each key/value head serves {@code groups} query heads in a row. */
  private static Tensor repeatKv(Tensor x, int groups) {
    if (groups == 1) return x;
    long b = x.size(0), kv = x.size(1), t = x.size(2), d = x.size(3);
    return x.unsqueeze(2).expand(b, kv, groups, t, d).reshape(b, kv * groups, t, d);
  }

  private static Tensor mlp(Tensor x, LlamaWeights.Layer<Tensor> w) {
    return linear(silu(linear(x, w.gate())).mul(linear(x, w.up())), w.down());
  }

  /**
   * The tables for one pass, in the caller's scope: computed in Java float arithmetic that mirrors
   * transformers' float32 ops (see {@link Rotary}), then copied into libtorch's memory. Rebuilt per
   * pass, so passes of any length may run on several threads at once.
   */
  private PositionTables tables(long length, AttentionKernel kernel) {
    int t = Math.toIntExact(length);
    float[][] cs = Rotary.cosSin(inverseFrequencies, t);
    Tensor mask = null;
    if (kernel == AttentionKernel.EAGER) {
      float[] m = new float[t * t];
      for (int i = 0; i < t; i++) {
        for (int j = i + 1; j < t; j++) m[i * t + j] = MASKED;
      }
      mask = Tensors.floats(m, device, t, t);
    }
    return new PositionTables(Tensors.floats(cs[0], device, t, config.headDim()),
        Tensors.floats(cs[1], device, t, config.headDim()), mask);
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
    parameters.values().forEach(Tensors::free);
  }
}
