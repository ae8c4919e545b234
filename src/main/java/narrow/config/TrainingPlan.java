package narrow.config;

import narrow.distill.DistillSettings;
import narrow.sparsity.SparsitySettings;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import narrow.train.ModelSource;
import narrow.train.TrainSpec;
import narrow.train.TrainingArguments;
import narrow.util.Locations;

/**
 * One run of an experiment: its name, what the trainer trains ({@link TrainSpec}: the model to
 * start from, the arguments with {@code output_dir} pointed at {@code <train.output_dir>/<run>},
 * the data, the device), over how many replicas, and what its loss adds to the causal-LM loss: a
 * sparsity penalty or a teacher (null: none).
 */
public record TrainingPlan(String run, TrainSpec spec, DistributedConfig distributed, SparsitySettings sparsity,
    DistillSettings distill) {

  public ModelSource model() {
    return spec.model();
  }

  public TrainingArguments args() {
    return spec.args();
  }

  /** {@code data.output}: a local path or a URI ({@code s3a://…}). */
  public String dataset() {
    return spec.dataset();
  }

  public narrow.model.DeviceSetting device() {
    return spec.device();
  }

  /** The same run of another name, training {@code s}. */
  public TrainingPlan with(String runName, TrainSpec s) {
    return new TrainingPlan(runName, s, distributed, sparsity, distill);
  }

  /** Binds the config's {@code model:} and {@code train:} sections; errors name the file and key. */
  public static TrainingPlan of(ExperimentConfig c, Path file) {
    ConfigErrors errors = new ConfigErrors(file);
    if (!c.model().isSet()) {
      errors.add("model", "set model.preset (a fresh d{hidden}_l{layers}_h{heads}) or model.pretrained"
          + (c.runs().isEmpty() ? "" : ", or pick a run with --run (" + String.join(", ", c.runs().keySet()) + ")"));
    }
    String outputDir = c.outputDir();
    if (outputDir == null) {
      errors.add("train.output_dir", "is required (the experiment's folder), or set output_root (the study's folder)");
    }
    errors.throwIfAny();

    // output_dir and the shards may be remote (s3a://, gs://): training reaches them through Hadoop
    String runDir = Locations.child(Locations.expanded(outputDir), c.runName());
    TrainingArguments args = arguments(c, runDir, errors);
    errors.throwIfAny();
    ModelSource model = c.model().preset() != null
        ? new ModelSource.Preset(c.model().preset(), c.model().seed())
        : new ModelSource.Pretrained(Locations.expanded(c.model().pretrained()));
    TrainSpec spec = TrainSpec.of(model, Locations.expanded(c.data().output()), args)
        .withTokenizer(TokenizerLocation.resolve(c.data().tokenizer()).toString()).onDevice(c.model().device());
    return new TrainingPlan(c.runName(), spec, c.distributed(),
        c.sparsity() == null ? null : c.sparsity().settings(), c.distill() == null ? null : c.distill().settings());
  }

  /**
   * The {@code train:} section as training takes it, for showing: every argument the file leaves
   * out at Hugging Face's default, {@code max_length} from {@code data.seq_len}, and
   * {@code output_dir} as written, or as output_root gives it (the experiment's folder, not the run's).
   *
   * @throws ConfigException naming the argument at fault
   */
  public static Map<String, Object> trainSection(ExperimentConfig c, Path file) {
    String outputDir = c.outputDir();
    ConfigErrors errors = new ConfigErrors(file);
    TrainingArguments args = arguments(c, outputDir == null ? "" : outputDir, errors);
    errors.throwIfAny();
    Map<String, Object> section = new LinkedHashMap<>(args.toMap());
    if (outputDir == null) section.remove("output_dir"); // required, and has no default
    else section.put("output_dir", outputDir);
    return section;
  }

  /**
   * The {@code train:} section over HF's defaults ({@code max_length} from {@code data.seq_len}),
   * or null with every problem added to {@code errors} under its argument's key.
   */
  static TrainingArguments arguments(ExperimentConfig c, String outputDir, ConfigErrors errors) {
    Map<String, Object> values = new LinkedHashMap<>(c.train());
    values.put("output_dir", outputDir);
    values.putIfAbsent("max_length", c.data().seqLen());
    try {
      return TrainingArguments.fromMap(values);
    } catch (TrainingArguments.Invalid first) {
      // fromMap stops at the first bad argument: each one alone over the defaults finds the rest
      TrainingArguments defaults = TrainingArguments.defaults(outputDir);
      int found = 0;
      for (var e : values.entrySet()) {
        try {
          defaults.with(java.util.Collections.singletonMap(e.getKey(), e.getValue()));
        } catch (TrainingArguments.Invalid alone) {
          add(errors, alone);
          found++;
        }
      }
      if (found == 0) add(errors, first); // wrong only together with another argument
      return null;
    }
  }

  private static void add(ConfigErrors errors, TrainingArguments.Invalid e) {
    errors.add(e.argument() == null ? "train" : "train." + e.argument(), e.problem());
  }
}
