package narrow.config;

/**
 * One experiment's YAML file ({@code conf/<experiment>.yaml}), bound and validated.
 *
 * @param experiment the experiment's name, also the top folder of its outputs
 * @param data the corpus and the tokenize job
 */
public record ExperimentConfig(String experiment, DataConfig data) {

  public ExperimentConfig {
    data = data == null ? new DataConfig(null, null, null, null, null, null, null, null, null,
        null, null, null, null, null, null) : data;
  }

  void validate(ConfigErrors errors) {
    if (errors.requirePresent("experiment", experiment)
        && !experiment.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
      errors.add("experiment", "use letters, digits, '_', '-' and '.' only, got '" + experiment + "'");
    }
    data.validate(errors);
  }
}
