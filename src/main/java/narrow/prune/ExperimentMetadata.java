package narrow.prune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * {@code experiment_metadata.json} of a pruning run: the study's {@code model_name},
 * {@code neuron_sparsity}, {@code residual_sparsity}, {@code run_date}, and what comparing runs
 * needs beside: the method, seed, attribution samples and batch size, whether random neurons were drawn with
 * replacement, the data manifest's checksum, the eval loss before pruning, right after it and at
 * the end, timings in seconds and versions. A value not known (yet) is written as {@code null}.
 *
 * @param samples attribution rows (0 for random pruning)
 * @param batchSize attribution rows per backward pass (0 for random pruning): the scores' float
 *     sums depend on it
 * @param dataChecksum the training data manifest's checksum, or null
 * @param evalLossBefore the base model's eval loss, or null
 * @param evalLossAfterPruning the eval loss with the mask applied, before training, or null
 * @param evalLossFinal the eval loss after recovery training, or null
 * @param timings phase name → seconds (scoring, mask_files, training), in order
 * @param versions component → version (narrow, java, libtorch)
 */
public record ExperimentMetadata(String modelName, double neuronSparsity, double residualSparsity, String runDate,
    String method, long seed, long samples, int batchSize, boolean withReplacement, String dataChecksum, Double evalLossBefore,
    Double evalLossAfterPruning, Double evalLossFinal, Map<String, Double> timings, Map<String, String> versions) {
  public static final String FILE = "experiment_metadata.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public ExperimentMetadata {
    if (!java.util.Set.of("attribution", "random", "norm").contains(method)) {
      throw new IllegalArgumentException("pruning method must be attribution, random or norm, got " + method);
    }
    timings = new LinkedHashMap<>(timings);
    versions = new LinkedHashMap<>(versions);
  }

  /** The same with the final eval loss and one more timing: what the end of training adds. */
  public ExperimentMetadata finished(Double finalLoss, String phase, double seconds) {
    Map<String, Double> t = new LinkedHashMap<>(timings);
    t.put(phase, seconds);
    return new ExperimentMetadata(modelName, neuronSparsity, residualSparsity, runDate, method, seed, samples,
        batchSize, withReplacement, dataChecksum, evalLossBefore, evalLossAfterPruning, finalLoss, t, versions);
  }

  public ObjectNode toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("model_name", modelName);
    o.put("neuron_sparsity", neuronSparsity);
    o.put("residual_sparsity", residualSparsity);
    o.put("run_date", runDate);
    o.put("method", method);
    o.put("seed", seed);
    o.put("samples", samples);
    o.put("batch_size", batchSize);
    o.put("with_replacement", withReplacement);
    o.put("data_manifest_checksum", dataChecksum);
    o.put("eval_loss_before_pruning", evalLossBefore);
    o.put("eval_loss_after_pruning", evalLossAfterPruning);
    o.put("eval_loss_final", evalLossFinal);
    ObjectNode t = o.putObject("timings_seconds");
    timings.forEach(t::put);
    ObjectNode v = o.putObject("versions");
    versions.forEach(v::put);
    return o;
  }

  public void write(Path file) throws IOException {
    JSON.writeValue(file.toFile(), toJson());
  }

  /** The file's bytes, as {@link #write} writes them: for a run folder on an object store. */
  public byte[] toBytes() throws IOException {
    return JSON.writeValueAsBytes(toJson());
  }

  /**
   * The metadata as {@link #write} wrote it, from {@code json}; {@code where} (the file) is named
   * in errors. A key {@link #toJson} always writes that is missing or of the wrong type is an
   * error: the file was not written by this class, or was edited.
   */
  public static ExperimentMetadata read(byte[] json, String where) throws IOException {
    JsonNode o;
    try {
      o = JSON.readTree(json);
    } catch (IOException e) {
      throw new IOException(where + ": not JSON: " + e.getMessage(), e);
    }
    if (o == null || !o.isObject()) throw new IOException(where + ": not a JSON object");
    Map<String, Double> timings = new LinkedHashMap<>();
    o.path("timings_seconds").fields().forEachRemaining(e -> timings.put(e.getKey(), e.getValue().asDouble()));
    Map<String, String> versions = new LinkedHashMap<>();
    o.path("versions").fields().forEachRemaining(e -> versions.put(e.getKey(), e.getValue().asText()));
    try {
      return new ExperimentMetadata(text(o, "model_name", where), number(o, "neuron_sparsity", where),
          number(o, "residual_sparsity", where), text(o, "run_date", where), text(o, "method", where),
          integer(o, "seed", where), integer(o, "samples", where), Math.toIntExact(integer(o, "batch_size", where)),
          bool(o, "with_replacement", where), nullableText(o, "data_manifest_checksum", where),
          nullableNumber(o, "eval_loss_before_pruning", where), nullableNumber(o, "eval_loss_after_pruning", where),
          nullableNumber(o, "eval_loss_final", where), timings, versions);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new IOException(where + ": " + e.getMessage(), e);
    }
  }

  private static JsonNode required(JsonNode o, String key, String where) throws IOException {
    JsonNode v = o.get(key);
    if (v == null) throw new IOException(where + ": no \"" + key + "\"");
    return v;
  }

  /** The value of {@code key}, which must be {@code kind}; named with the file when it is not. */
  private static JsonNode typed(JsonNode o, String key, String where, Predicate<JsonNode> is, String kind)
      throws IOException {
    JsonNode v = required(o, key, where);
    if (!is.test(v)) throw new IOException(where + ": \"" + key + "\" is " + v + ", not " + kind);
    return v;
  }

  private static String text(JsonNode o, String key, String where) throws IOException {
    return typed(o, key, where, JsonNode::isTextual, "a string").asText();
  }

  private static String nullableText(JsonNode o, String key, String where) throws IOException {
    return required(o, key, where).isNull() ? null : text(o, key, where);
  }

  private static double number(JsonNode o, String key, String where) throws IOException {
    return typed(o, key, where, JsonNode::isNumber, "a number").asDouble();
  }

  private static long integer(JsonNode o, String key, String where) throws IOException {
    return typed(o, key, where, v -> v.isIntegralNumber() && v.canConvertToLong(), "an integer").asLong();
  }

  private static Double nullableNumber(JsonNode o, String key, String where) throws IOException {
    return required(o, key, where).isNull() ? null : number(o, key, where);
  }

  private static boolean bool(JsonNode o, String key, String where) throws IOException {
    return typed(o, key, where, JsonNode::isBoolean, "true or false").asBoolean();
  }
}
