package narrow.train;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The training settings, named as Hugging Face's {@code TrainingArguments} names them (JSON and
 * {@code training_args.bin} keys are the snake_case names). Build from HF's defaults and override
 * by name: {@code TrainingArguments.defaults("out").with("max_steps", 100)}; a YAML or JSON map
 * goes through {@link #fromMap}.
 *
 * @param maxLength sequence length of the training rows (the tokenize job's {@code seq_len});
 *     longer rows are cut, used for FLOP and token counts
 * @param maxEvalSamples validation rows per evaluation, {@code null} for all of them
 * @param saveTotalLimit checkpoints kept (oldest deleted first), {@code null} keeps all
 * @param bf16 HF's mixed precision (float32 weights, gradients and optimizer state; forward under
 *     bfloat16 autocast); {@code null} (the default here): on where the device computes bf16 in
 *     hardware (a CPU with AVX-512 BF16 or AMX, a CUDA GPU)
 * @param shuffleBufferRows (narrow's) training rows shuffled together: the data streams through a
 *     window of row groups holding at least this many rows, which bounds the trainer's memory
 *     whatever the corpus size (16384 rows of 1024 ids: 64 MB)
 * @param skipTrainRows (narrow's) the first rows of the train split in file order that training never
 *     reads: pruning's attribution rows ({@code prune.samples}), so recovery is not trained on
 *     what chose the mask; 0 (the default) reads every row
 * @param tf32 TF32 matmuls for float32 work on Ampere or newer GPUs; {@code null}: libtorch's default (off)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonIgnoreProperties(ignoreUnknown = false)
public record TrainingArguments(
    String outputDir,
    double learningRate,
    double weightDecay,
    double adamBeta1,
    double adamBeta2,
    double adamEpsilon,
    double maxGradNorm,
    long warmupSteps,
    double warmupRatio,
    String lrSchedulerType,
    long maxSteps,
    int perDeviceTrainBatchSize,
    int perDeviceEvalBatchSize,
    int gradientAccumulationSteps,
    int loggingSteps,
    int evalSteps,
    int saveSteps,
    Integer saveTotalLimit,
    long seed,
    int maxLength,
    Integer maxEvalSamples,
    String optim,
    Boolean bf16,
    Boolean tf32,
    int shuffleBufferRows,
    long skipTrainRows) implements java.io.Serializable {

  static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  public TrainingArguments {
    if (!(learningRate >= 0)) throw new Invalid("learning_rate", "must be >= 0, got " + learningRate);
    if (maxSteps <= 0) throw new Invalid("max_steps", "must be > 0 (training is step-based), got " + maxSteps);
    requirePositive("per_device_train_batch_size", perDeviceTrainBatchSize);
    requirePositive("gradient_accumulation_steps", gradientAccumulationSteps);
    requirePositive("per_device_eval_batch_size", perDeviceEvalBatchSize);
    requirePositive("shuffle_buffer_rows", shuffleBufferRows);
    requireNotNegative("skip_train_rows", skipTrainRows);
    if (maxLength <= 1) throw new Invalid("max_length", "must be > 1, got " + maxLength);
    requireNotNegative("logging_steps", loggingSteps);
    requireNotNegative("eval_steps", evalSteps);
    requireNotNegative("save_steps", saveSteps);
    if (saveTotalLimit != null && saveTotalLimit < 1) throw new Invalid("save_total_limit", "must be >= 1, got " + saveTotalLimit);
    if (!LrSchedule.TYPES.contains(lrSchedulerType)) {
      throw new Invalid("lr_scheduler_type", "must be one of " + LrSchedule.TYPES + ", got " + lrSchedulerType);
    }
    if (!"adamw_torch".equals(optim)) throw new Invalid("optim", "only adamw_torch is implemented, got " + optim);
  }

  private static void requirePositive(String name, long value) {
    if (value <= 0) throw new Invalid(name, "must be > 0, got " + value);
  }

  private static void requireNotNegative(String name, long value) {
    if (value < 0) throw new Invalid(name, "must be >= 0 (0 = never), got " + value);
  }

  /** Hugging Face's defaults where it has them (max_steps, max_length: this project's). */
  public static TrainingArguments defaults(String outputDir) {
    return new TrainingArguments(outputDir, 5e-5, 0.0, 0.9, 0.999, 1e-8, 1.0, 0, 0.0, "linear",
        1000, 8, 8, 1, 500, 500, 500, null, 42, 1024, null, "adamw_torch", null, null, 16384, 0);
  }

  /** This record with one field replaced, by its HF name. */
  public TrainingArguments with(String name, Object value) {
    return with(Map.of(name, value));
  }

  /**
   * This record with the given fields replaced, by HF name.
   *
   * @throws Invalid naming the argument at fault: an unknown name, a value of the wrong type, or
   *     one out of range
   */
  public TrainingArguments with(Map<String, ?> overrides) {
    Map<String, Object> m = toMap();
    for (Map.Entry<String, ?> e : overrides.entrySet()) {
      if (!m.containsKey(e.getKey())) {
        throw new Invalid(e.getKey(), "not a training argument (known: " + String.join(", ", m.keySet()) + ")");
      }
      m.put(e.getKey(), e.getValue());
    }
    try {
      return JSON.convertValue(m, TrainingArguments.class);
    } catch (IllegalArgumentException e) {
      throw Invalid.from(e);
    }
  }

  /** A training argument that cannot be used; {@code argument} is its HF name, null when not known. */
  public static final class Invalid extends IllegalArgumentException {
    private final String argument;

    Invalid(String argument, String problem) {
      super(argument == null ? problem : argument + ": " + problem);
      this.argument = argument;
    }

    public String argument() {
      return argument;
    }

    /** The problem alone, without the argument's name. */
    public String problem() {
      return argument == null ? getMessage() : getMessage().substring(argument.length() + 2);
    }

    /** Jackson's words for a bad value or a failed range check, turned into the argument's. */
    static Invalid from(IllegalArgumentException e) {
      if (e.getCause() instanceof com.fasterxml.jackson.databind.exc.InvalidFormatException f && !f.getPath().isEmpty()) {
        String type = f.getTargetType() == double.class ? "a number"
            : f.getTargetType() == String.class ? "a string" : "an integer";
        return new Invalid(f.getPath().get(0).getFieldName(), "'" + f.getValue() + "' is not " + type);
      }
      if (e.getCause() instanceof com.fasterxml.jackson.databind.exc.ValueInstantiationException v
          && v.getCause() instanceof Invalid range) {
        return range;
      }
      if (e.getCause() instanceof com.fasterxml.jackson.databind.JsonMappingException j && !j.getPath().isEmpty()) {
        return new Invalid(j.getPath().get(0).getFieldName(), j.getOriginalMessage());
      }
      return new Invalid(null, e.getMessage());
    }
  }

  /** HF defaults overlaid with {@code values} (for example a YAML section). */
  public static TrainingArguments fromMap(Map<String, ?> values) {
    Object dir = values.get("output_dir");
    return defaults(dir == null ? "output" : dir.toString()).with(values);
  }

  /** Field name to value, in declaration order: the content of training_args.json and .bin. */
  @SuppressWarnings("unchecked")
  public Map<String, Object> toMap() {
    return JSON.convertValue(this, LinkedHashMap.class);
  }

  /** Warmup steps as HF computes them: warmup_steps if set, else ceil(warmup_ratio × max_steps). */
  public long effectiveWarmupSteps() {
    return warmupSteps > 0 ? warmupSteps : (long) Math.ceil(warmupRatio * maxSteps);
  }

  public LrSchedule schedule() {
    return LrSchedule.named(lrSchedulerType, learningRate, effectiveWarmupSteps(), maxSteps);
  }

  /** Whether this run trains under bf16 autocast on {@code device}: {@code bf16}, or the device's default. */
  public boolean bf16On(narrow.engine.Device device) {
    if (bf16 != null) return bf16;
    return device.isCuda() || narrow.engine.Torch.cpuHasBf16();
  }

  public AdamW.Settings adamWSettings() {
    return new AdamW.Settings(adamBeta1, adamBeta2, adamEpsilon, weightDecay);
  }

  public void writeJson(Path file) throws IOException {
    JSON.writeValue(file.toFile(), toMap());
  }

  public static TrainingArguments readJson(Path file) throws IOException {
    return JSON.readValue(file.toFile(), TrainingArguments.class);
  }

  /** A {@code training_args.json} from a stream (a run folder on an object store). */
  public static TrainingArguments readJson(java.io.InputStream in) throws IOException {
    return JSON.readValue(in, TrainingArguments.class);
  }
}
