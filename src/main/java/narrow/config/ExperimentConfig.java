package narrow.config;

import java.util.Map;
import java.util.TreeMap;
import narrow.data.TokenizeSettings;
import narrow.util.Locations;

/**
 * One experiment's YAML file ({@code conf/<experiment>.yaml}), bound and validated.
 *
 * @param experiment the experiment's name
 * @param outputRoot the study's tree (local, {@code s3a://}, {@code gs://}), or null: each
 *     experiment writes {@code <output_root>/<experiment>/<run>/}, so {@code train.output_dir}
 *     follows from it
 * @param data the corpus and the tokenize job
 * @param model what to train
 * @param train the training arguments, by Hugging Face {@code TrainingArguments} names;
 *     {@code output_dir} is the experiment's folder and each run writes under
 *     {@code <output_dir>/<run>/}, as the study's repository does
 * @param runs named variants of the experiment (the study's grid), each a map of
 *     {@code key: value} overrides such as {@code model.preset: d768_l12_h12}; {@code --run NAME}
 *     picks one
 * @param run the run picked ({@code --run}), or the default name when the file has no grid
 * @param distributed data-parallel replicas of each run
 * @param prune how {@code narrow prune} prunes the pretrained model, or null (no section)
 * @param sparsity a group-sparsity penalty added to the training loss, or null (no section)
 * @param distill a teacher the model is distilled from, or null (no section)
 */
public record ExperimentConfig(
    String experiment,
    String outputRoot,
    TokenizeSettings data,
    ModelConfig model,
    Map<String, Object> train,
    Map<String, Map<String, Object>> runs,
    String run,
    DistributedConfig distributed,
    PruneConfig prune,
    SparsityConfig sparsity,
    DistillConfig distill) {

  public ExperimentConfig {
    data = data == null ? TokenizeSettings.defaults() : data;
    model = model == null ? ModelConfig.none() : model;
    train = train == null ? Map.of() : new TreeMap<>(train);
    runs = runs == null ? Map.of() : new TreeMap<>(runs);
    distributed = distributed == null ? DistributedConfig.defaults() : distributed;
  }

  void validate(ConfigErrors errors) {
    if (errors.requirePresent("experiment", experiment)
        && !experiment.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
      errors.add("experiment", "use letters, digits, '_', '-' and '.' only, got '" + experiment + "'");
    }
    validateOutputRoot(errors);
    DataSection.validate(data, errors);
    model.validate(errors);
    distributed.validate(errors);
    if (prune != null) prune.validate(errors);
    if (sparsity != null) sparsity.validate(errors);
    if (distill != null) distill.validate(errors);
    if (sparsity != null && distill != null) {
      errors.add("distill", "a run either distils or fine-tunes with a sparsity penalty: drop one of the sections");
    }
    // the train: section is checked whatever the command, so a typo shows before any Spark work
    if (!train.isEmpty()) TrainingPlan.arguments(this, String.valueOf(train.getOrDefault("output_dir", "")), errors);
  }

  /**
   * This config with its {@code train:} section completed by Hugging Face's defaults
   * ({@link TrainingPlan#trainSection}); a config without a {@code train:} section trains
   * nothing, and is returned as it is.
   */
  public ExperimentConfig withTrainingDefaults(java.nio.file.Path file) {
    if (train.isEmpty()) return this;
    return new ExperimentConfig(experiment, outputRoot, data, model, TrainingPlan.trainSection(this, file), runs, run,
        distributed, prune, sparsity, distill);
  }

  /**
   * The experiment's folder: {@code train.output_dir}, or {@code <output_root>/<experiment>}
   * when only {@code output_root} is set; null when neither is.
   */
  public String outputDir() {
    Object dir = train.get("output_dir");
    if (dir != null) return dir.toString();
    return outputRoot == null || experiment == null ? null : Locations.child(outputRoot, experiment);
  }

  /** A train.output_dir beside output_root must be the folder output_root gives the experiment. */
  private void validateOutputRoot(ConfigErrors errors) {
    if (outputRoot == null) return;
    if (outputRoot.isBlank()) {
      errors.add("output_root", "is empty: give the study's folder (a local path, s3a://… or gs://…), or leave it out");
      return;
    }
    Object dir = train.get("output_dir");
    if (dir == null || experiment == null) return;
    String wanted = withoutSlash(Locations.expanded(Locations.child(outputRoot, experiment)));
    String given = withoutSlash(Locations.expanded(dir.toString()));
    if (!wanted.equals(given)) {
      errors.add("train.output_dir", given + " is not " + wanted + ", the folder output_root " + outputRoot
          + " gives experiment " + experiment + ": leave train.output_dir out (it follows output_root), "
          + "or leave output_root out");
    }
  }

  private static String withoutSlash(String location) {
    return location.replaceAll("(?<=.)/+$", "");
  }

  /**
   * The corpus the tokenize job reads ({@code data.input}): present and, when local, existing.
   * Only tokenizing needs it; training and pruning read the shards of {@code data.output}.
   */
  public void requireCorpus(java.nio.file.Path file) {
    DataSection.requireCorpus(data, file);
  }

  /** The name of the run folder under {@code train.output_dir}. */
  public String runName() {
    return run != null ? run : model.defaultRunName();
  }
}
