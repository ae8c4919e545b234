package narrow.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import narrow.util.UserError;

/**
 * Hugging Face's {@code LlamaConfig}, as read from and written to {@code config.json}. Fields this
 * project does not model (architectures, model_type, use_cache, ...) live in {@link #extra} and
 * are written back unchanged, so a Hub config survives a round trip.
 *
 * @param headDim per-head width; HF's default hidden/heads when config.json has none
 * @param ropeScaling null for plain rope
 * @param eosTokenIds one id, or several (instruct configs list them); written back the same way
 * @param padTokenId null when config.json has none
 * @param torchDtype the dtype the weights were saved in ("float32", "bfloat16"), may be null
 */
public record LlamaConfig(
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numHiddenLayers,
    int numAttentionHeads,
    int numKeyValueHeads,
    int headDim,
    double rmsNormEps,
    double ropeTheta,
    RopeScaling ropeScaling,
    int maxPositionEmbeddings,
    boolean tieWordEmbeddings,
    Integer bosTokenId,
    List<Integer> eosTokenIds,
    Integer padTokenId,
    double initializerRange,
    String torchDtype,
    Map<String, JsonNode> extra) implements java.io.Serializable {

  /** The {@code llama3} (or "default") rope_scaling block. Unknown keys kept in {@code extra}. */
  public record RopeScaling(String ropeType, double factor, double lowFreqFactor,
      double highFreqFactor, int originalMaxPositionEmbeddings, Map<String, JsonNode> extra)
      implements java.io.Serializable {
    public RopeScaling {
      extra = Collections.unmodifiableMap(new LinkedHashMap<>(extra == null ? Map.of() : extra));
    }

    public static RopeScaling llama3(double factor, double low, double high, int original) {
      return new RopeScaling("llama3", factor, low, high, original, Map.of());
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private static final Set<String> MODELLED = Set.of("vocab_size", "hidden_size",
      "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
      "head_dim", "rms_norm_eps", "rope_theta", "rope_scaling", "max_position_embeddings",
      "tie_word_embeddings", "bos_token_id", "eos_token_id", "pad_token_id", "initializer_range",
      "torch_dtype");

  public LlamaConfig {
    if (vocabSize <= 0 || hiddenSize <= 0 || intermediateSize <= 0 || numHiddenLayers <= 0
        || numAttentionHeads <= 0 || numKeyValueHeads <= 0 || headDim <= 0) {
      throw new IllegalArgumentException("LlamaConfig sizes must be positive");
    }
    if (numAttentionHeads % numKeyValueHeads != 0) {
      throw new IllegalArgumentException("num_attention_heads " + numAttentionHeads
          + " is not a multiple of num_key_value_heads " + numKeyValueHeads);
    }
    if (headDim % 2 != 0) throw new IllegalArgumentException("head_dim must be even for rope");
    eosTokenIds = List.copyOf(eosTokenIds == null ? List.of() : eosTokenIds);
    extra = Collections.unmodifiableMap(new LinkedHashMap<>(extra == null ? Map.of() : extra));
  }

  /** The first (usually only) end-of-sequence id, or null. */
  public Integer eosTokenId() {
    return eosTokenIds.isEmpty() ? null : eosTokenIds.get(0);
  }

  /** The id batches are padded with, as HF's collators pick it: pad_token_id, else eos (the study's configs set pad = eos), else 0. */
  public long padId() {
    if (padTokenId != null) return padTokenId;
    if (eosTokenId() != null) return eosTokenId();
    return 0;
  }

  /** The {@code d{hidden}_l{layers}_h{heads}} config of the study (see {@link ModelPreset}). */
  public static LlamaConfig preset(String name) {
    return ModelPreset.parse(name).config();
  }

  public LlamaConfig withTorchDtype(String dtype) {
    return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers,
        numAttentionHeads, numKeyValueHeads, headDim, rmsNormEps, ropeTheta, ropeScaling,
        maxPositionEmbeddings, tieWordEmbeddings, bosTokenId, eosTokenIds, padTokenId,
        initializerRange, dtype, extra);
  }

  // ---------------------------------------------------------------- JSON

  public static LlamaConfig read(Path configJson) throws IOException {
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(configJson)) {
      return read(in, configJson.toString());
    }
  }

  /** A config.json from a stream; {@code source} (its path or URI) names it in errors. */
  public static LlamaConfig read(java.io.InputStream in, String source) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(in);
    } catch (IOException e) {
      throw new UserError(source + ": not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) throw new UserError(source + ": not a JSON object");
    try {
      return fromJson((ObjectNode) root);
    } catch (IllegalArgumentException e) {
      throw new UserError(source + ": " + e.getMessage(), e);
    }
  }

  public static LlamaConfig fromJson(ObjectNode root) {
    int hidden = requiredInt(root, "hidden_size");
    int heads = requiredInt(root, "num_attention_heads");
    Map<String, JsonNode> extra = new LinkedHashMap<>();
    root.fields().forEachRemaining(e -> {
      if (!MODELLED.contains(e.getKey())) extra.put(e.getKey(), e.getValue());
    });
    return new LlamaConfig(
        requiredInt(root, "vocab_size"),
        hidden,
        requiredInt(root, "intermediate_size"),
        requiredInt(root, "num_hidden_layers"),
        heads,
        optionalInt(root, "num_key_value_heads", heads),
        optionalInt(root, "head_dim", hidden / heads),
        optionalDouble(root, "rms_norm_eps", 1e-6),
        optionalDouble(root, "rope_theta", 10000.0),
        ropeScaling(root.get("rope_scaling")),
        optionalInt(root, "max_position_embeddings", 2048),
        root.path("tie_word_embeddings").asBoolean(false),
        nullableInt(root, "bos_token_id"),
        ids(root.get("eos_token_id")),
        nullableInt(root, "pad_token_id"),
        optionalDouble(root, "initializer_range", 0.02),
        root.hasNonNull("torch_dtype") ? root.get("torch_dtype").asText() : null,
        extra);
  }

  public ObjectNode toJson() {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    extra.forEach(out::set);
    out.put("vocab_size", vocabSize);
    out.put("hidden_size", hiddenSize);
    out.put("intermediate_size", intermediateSize);
    out.put("num_hidden_layers", numHiddenLayers);
    out.put("num_attention_heads", numAttentionHeads);
    out.put("num_key_value_heads", numKeyValueHeads);
    out.put("head_dim", headDim);
    out.put("rms_norm_eps", rmsNormEps);
    out.put("rope_theta", ropeTheta);
    if (ropeScaling == null) {
      out.putNull("rope_scaling");
    } else {
      ObjectNode rs = out.putObject("rope_scaling");
      ropeScaling.extra().forEach(rs::set);
      rs.put("rope_type", ropeScaling.ropeType());
      rs.put("factor", ropeScaling.factor());
      rs.put("low_freq_factor", ropeScaling.lowFreqFactor());
      rs.put("high_freq_factor", ropeScaling.highFreqFactor());
      rs.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
    }
    out.put("max_position_embeddings", maxPositionEmbeddings);
    out.put("tie_word_embeddings", tieWordEmbeddings);
    if (bosTokenId == null) out.putNull("bos_token_id"); else out.put("bos_token_id", bosTokenId);
    if (eosTokenIds.isEmpty()) {
      out.putNull("eos_token_id");
    } else if (eosTokenIds.size() == 1) {
      out.put("eos_token_id", eosTokenIds.get(0));
    } else {
      var arr = out.putArray("eos_token_id");
      eosTokenIds.forEach(arr::add);
    }
    if (padTokenId == null) out.putNull("pad_token_id"); else out.put("pad_token_id", padTokenId);
    out.put("initializer_range", initializerRange);
    if (torchDtype == null) out.putNull("torch_dtype"); else out.put("torch_dtype", torchDtype);
    // transformers writes config.json with sorted keys; do the same so diffs stay small.
    ObjectNode sorted = JsonNodeFactory.instance.objectNode();
    new TreeMap<String, JsonNode>(toMap(out)).forEach(sorted::set);
    return sorted;
  }

  public void write(Path configJson) throws IOException {
    Files.writeString(configJson, JSON.writeValueAsString(toJson()) + "\n");
  }

  // ---------------------------------------------------------------- helpers

  private static Map<String, JsonNode> toMap(ObjectNode node) {
    Map<String, JsonNode> m = new LinkedHashMap<>();
    node.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue()));
    return m;
  }

  private static RopeScaling ropeScaling(JsonNode node) {
    if (node == null || node.isNull()) return null;
    if (!node.isObject()) throw new IllegalArgumentException("rope_scaling is not an object");
    Set<String> known = Set.of("rope_type", "type", "factor", "low_freq_factor",
        "high_freq_factor", "original_max_position_embeddings");
    Map<String, JsonNode> extra = new LinkedHashMap<>();
    node.fields().forEachRemaining(e -> {
      if (!known.contains(e.getKey())) extra.put(e.getKey(), e.getValue());
    });
    // Older configs name the rule "type"; newer ones "rope_type".
    String type = node.hasNonNull("rope_type") ? node.get("rope_type").asText()
        : node.path("type").asText("default");
    return new RopeScaling(type, node.path("factor").asDouble(1.0),
        node.path("low_freq_factor").asDouble(1.0), node.path("high_freq_factor").asDouble(4.0),
        node.path("original_max_position_embeddings").asInt(8192), extra);
  }

  private static List<Integer> ids(JsonNode node) {
    if (node == null || node.isNull()) return List.of();
    if (node.isArray()) {
      List<Integer> out = new ArrayList<>();
      node.forEach(n -> out.add(n.asInt()));
      return out;
    }
    return List.of(node.asInt());
  }

  private static int requiredInt(JsonNode root, String key) {
    JsonNode n = root.get(key);
    if (n == null || !n.isIntegralNumber()) {
      throw new IllegalArgumentException("config needs an integer '" + key + "'");
    }
    return n.asInt();
  }

  private static int optionalInt(JsonNode root, String key, int fallback) {
    JsonNode n = root.get(key);
    return n == null || n.isNull() ? fallback : n.asInt();
  }

  private static Integer nullableInt(JsonNode root, String key) {
    JsonNode n = root.get(key);
    return n == null || n.isNull() ? null : n.asInt();
  }

  private static double optionalDouble(JsonNode root, String key, double fallback) {
    JsonNode n = root.get(key);
    return n == null || n.isNull() ? fallback : n.asDouble();
  }
}
