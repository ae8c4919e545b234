package narrow.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import narrow.train.ModelSource;
import narrow.train.TrainingArguments;

/**
 * One run of an experiment as the trainer takes it: the model to start from, the arguments (with
 * {@code output_dir} pointed at {@code <train.output_dir>/<run>}) and the data.
 */
public record TrainingPlan(String run, ModelSource model, TrainingArguments args, Path dataset,
    Path tokenizer, String device) {

  /** Binds the config's {@code model:} and {@code train:} sections; errors name the file and key. */
  public static TrainingPlan of(ExperimentConfig c, Path file) {
    ConfigErrors errors = new ConfigErrors(file);
    if (!c.model().isSet()) {
      errors.add("model", "set model.preset (a fresh d{hidden}_l{layers}_h{heads}) or model.pretrained"
          + (c.runs().isEmpty() ? "" : ", or pick a run with --run (" + String.join(", ", c.runs().keySet()) + ")"));
    }
    Object outputRoot = c.train().get("output_dir");
    if (outputRoot == null) errors.add("train.output_dir", "is required (the experiment's folder)");
    if (c.data().output() != null && Paths.isRemote(c.data().output())) {
      errors.add("data.output", "training reads the shards from a local folder for now; copy "
          + c.data().output() + " to local disk and point data.output at it");
    }
    errors.throwIfAny();

    Map<String, Object> values = new LinkedHashMap<>(c.train());
    values.put("output_dir", Paths.local(outputRoot.toString()).resolve(c.runName()).toString());
    values.putIfAbsent("max_length", c.data().seqLen());
    TrainingArguments args;
    try {
      args = TrainingArguments.fromMap(values);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(file + ": " + trainKey(e) + e.getMessage());
    }
    ModelSource model = c.model().preset() != null
        ? new ModelSource.Preset(c.model().preset(), c.model().seed())
        : new ModelSource.Pretrained(Paths.local(c.model().pretrained()));
    return new TrainingPlan(c.runName(), model, args, Paths.local(c.data().output()),
        TokenizerLocation.resolve(c.data().tokenizer()), c.model().device());
  }

  /** Jackson and the record say which argument is wrong in their own words; name the section. */
  private static String trainKey(IllegalArgumentException e) {
    String m = String.valueOf(e.getMessage());
    if (m.startsWith("unknown training argument: ")) {
      return "key 'train." + m.substring("unknown training argument: ".length()) + "': ";
    }
    return "section 'train': ";
  }
}
