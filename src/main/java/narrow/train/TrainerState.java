package narrow.train;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face's {@code trainer_state.json}: same keys, same meaning, so HF tooling (and the study's
 * notebooks) read ours. {@code log_history} entries are open maps because callers add their own
 * keys (data_loss, reg_loss, ...). Mutable: the trainer updates it as it goes.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
    getterVisibility = JsonAutoDetect.Visibility.NONE, isGetterVisibility = JsonAutoDetect.Visibility.NONE)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder(alphabetic = true) // HF writes with sort_keys=True
public final class TrainerState {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @JsonProperty("best_global_step") Long bestGlobalStep;
  @JsonProperty("best_metric") Double bestMetric;
  @JsonProperty("best_model_checkpoint") String bestModelCheckpoint;
  @JsonProperty("epoch") double epoch;
  @JsonProperty("eval_steps") int evalSteps;
  @JsonProperty("global_step") long globalStep;
  @JsonProperty("is_hyper_param_search") boolean isHyperParamSearch;
  @JsonProperty("is_local_process_zero") boolean isLocalProcessZero = true;
  @JsonProperty("is_world_process_zero") boolean isWorldProcessZero = true;
  @JsonProperty("log_history") List<Map<String, Object>> logHistory = new ArrayList<>();
  @JsonProperty("logging_steps") int loggingSteps;
  @JsonProperty("max_steps") long maxSteps;
  @JsonProperty("num_input_tokens_seen") long numInputTokensSeen;
  @JsonProperty("num_train_epochs") long numTrainEpochs;
  @JsonProperty("save_steps") int saveSteps;
  @JsonProperty("stateful_callbacks") Map<String, Object> statefulCallbacks = new LinkedHashMap<>();
  @JsonProperty("total_flos") double totalFlos;
  @JsonProperty("train_batch_size") int trainBatchSize;
  @JsonProperty("trial_name") String trialName;
  @JsonProperty("trial_params") Map<String, Object> trialParams;

  public TrainerState() {}

  /** A fresh state for a run with these arguments. */
  public static TrainerState start(TrainingArguments args, long numTrainEpochs) {
    TrainerState s = new TrainerState();
    s.maxSteps = args.maxSteps();
    s.loggingSteps = args.loggingSteps();
    s.evalSteps = args.evalSteps();
    s.saveSteps = args.saveSteps();
    s.trainBatchSize = args.perDeviceTrainBatchSize();
    s.numTrainEpochs = numTrainEpochs;
    s.statefulCallbacks.put("TrainerControl", trainerControl(false));
    return s;
  }

  /** What HF stores for its TrainerControl callback at a save. */
  static Map<String, Object> trainerControl(boolean trainingStop) {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("should_epoch_stop", false);
    args.put("should_evaluate", false);
    args.put("should_log", false);
    args.put("should_save", true);
    args.put("should_training_stop", trainingStop);
    Map<String, Object> control = new LinkedHashMap<>();
    control.put("args", args);
    control.put("attributes", new LinkedHashMap<>());
    return control;
  }

  public long globalStep() {
    return globalStep;
  }

  public double epoch() {
    return epoch;
  }

  public double totalFlos() {
    return totalFlos;
  }

  public List<Map<String, Object>> logHistory() {
    return logHistory;
  }

  public long maxSteps() {
    return maxSteps;
  }

  /** Tokens the run has trained on (HF's {@code num_input_tokens_seen}). */
  public long numInputTokensSeen() {
    return numInputTokensSeen;
  }

  public int trainBatchSize() {
    return trainBatchSize;
  }

  /** Log entries that carry {@code key} (e.g. "loss", "eval_loss"), in order. */
  public List<Map<String, Object>> entriesWith(String key) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> e : logHistory) if (e.containsKey(key)) out.add(e);
    return out;
  }

  public void write(Path file) throws IOException {
    JSON.writeValue(file.toFile(), this);
  }

  public static TrainerState read(Path file) throws IOException {
    return JSON.readValue(file.toFile(), TrainerState.class);
  }

  public static TrainerState read(java.io.InputStream in) throws IOException {
    return JSON.readValue(in, TrainerState.class);
  }
}
