package narrow.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import narrow.engine.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * Parameter counts of a model, from its config alone (so a size can be reported before it is
 * built), broken down the way the study's frontier plots need them.
 */
public record ModelStats(long nParams, long nTrainableParams, long embedding, long attention,
    long mlp, long norms, long lmHead) {

  public static ModelStats of(LlamaConfig c) {
    long h = c.hiddenSize();
    long q = (long) c.numAttentionHeads() * c.headDim();
    long kv = (long) c.numKeyValueHeads() * c.headDim();
    long layers = c.numHiddenLayers();
    long embedding = (long) c.vocabSize() * h;
    long attention = layers * (h * q + 2 * h * kv + q * h);
    long mlp = layers * 3 * h * c.intermediateSize();
    long norms = (2 * layers + 1) * h;
    long lmHead = c.tieWordEmbeddings() ? 0 : (long) c.vocabSize() * h;
    long total = embedding + attention + mlp + norms + lmHead;
    return new ModelStats(total, total, embedding, attention, mlp, norms, lmHead);
  }

  /** The same breakdown counted from a model's tensors (a tied head counts once). */
  public static ModelStats count(LlamaWeights<Tensor> w) {
    long embedding = Tensors.numel(w.embedTokens());
    long lmHead = w.lmHead() == null ? 0 : Tensors.numel(w.lmHead());
    long attention = 0, mlp = 0;
    long norms = Tensors.numel(w.norm());
    for (LlamaWeights.Layer<Tensor> l : w.layers()) {
      for (Tensor t : l.attention()) attention += Tensors.numel(t);
      for (Tensor t : l.mlp()) mlp += Tensors.numel(t);
      norms += Tensors.numel(l.inputNorm()) + Tensors.numel(l.postAttentionNorm());
    }
    long total = embedding + attention + mlp + norms + lmHead;
    return new ModelStats(total, total, embedding, attention, mlp, norms, lmHead);
  }

  public ObjectNode toJson() {
    ObjectNode out = new ObjectMapper().createObjectNode();
    out.put("n_params", nParams);
    out.put("n_trainable_params", nTrainableParams);
    out.put("n_non_embedding_params", nParams - embedding - lmHead);
    ObjectNode breakdown = out.putObject("breakdown");
    breakdown.put("embedding", embedding);
    breakdown.put("attention", attention);
    breakdown.put("mlp", mlp);
    breakdown.put("norms", norms);
    breakdown.put("lm_head", lmHead);
    return out;
  }

  /** Writes {@code model_stats.json}. */
  public void write(Path file) throws IOException {
    Files.writeString(file, jsonText());
  }

  /** What {@code model_stats.json} holds: {@link #toJson()}, indented, with a final newline. */
  public String jsonText() {
    return text(toJson());
  }

  /**
   * A training run's {@code model_stats.json}: {@link #toJson()} and, after the study's keys, the
   * run's {@code preset} and {@code base_model} (one of them null) and its {@code replicas}.
   */
  public String jsonText(String preset, String baseModel, int replicas) {
    ObjectNode out = toJson();
    out.put(PRESET, preset);
    out.put(BASE_MODEL, baseModel);
    out.put(REPLICAS, replicas);
    return text(out);
  }

  /** The keys {@link #jsonText(String, String, int)} adds. */
  public static final String PRESET = "preset", BASE_MODEL = "base_model", REPLICAS = "replicas";

  private static String text(ObjectNode json) {
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a tree of numbers and strings always serializes", e);
    }
  }
}
