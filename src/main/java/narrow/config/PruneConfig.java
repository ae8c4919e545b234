package narrow.config;

/**
 * The {@code prune:} section of {@code narrow prune}: how a pretrained model is pruned before its
 * recovery training (the {@code train:} section).
 *
 * @param method {@code attribution} (gradient attribution, lowest scores pruned), {@code random},
 *     or {@code norm} (the lowest group norms in the model: after group-sparsity fine-tuning)
 * @param neuronSparsity fraction of all MLP neurons pruned, in [0, 1]
 * @param residualSparsity fraction of residual-stream dimensions pruned, in [0, 1]
 * @param samples the first rows of the train split scored (the study: 1024); recovery training
 *     skips them whatever the method, so both methods recover on the same rows
 * @param batchSize attribution rows per backward pass
 * @param partitions Spark partitions the attribution batches are spread over
 * @param seed the random draw's seed
 * @param withReplacement random only: draw neurons with replacement as the study's script did
 *     (fewer distinct neurons pruned than asked); false draws exactly the asked count
 * @param threshold norm only: prune every neuron and dimension whose norm is below it, instead of
 *     the lowest at the sparsities; null: by the sparsities
 */
public record PruneConfig(Method method, Double neuronSparsity, Double residualSparsity, Integer samples,
    Integer batchSize, Integer partitions, Long seed, Boolean withReplacement, Double threshold) {

  /** How the pruned neurons and dimensions are chosen. */
  public enum Method {
    /** Gradient attribution: the lowest scores are pruned. */
    ATTRIBUTION,
    /** A random draw. */
    RANDOM,
    /** The norms of the groups' parameters in the model: the lowest are pruned. */
    NORM;

    /** As config files and experiment_metadata.json spell it. */
    @Override
    public String toString() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public PruneConfig {
    method = method == null ? Method.ATTRIBUTION : method;
    samples = samples == null ? 1024 : samples;
    batchSize = batchSize == null ? 8 : batchSize;
    partitions = partitions == null ? 1 : partitions;
    seed = seed == null ? 0L : seed;
    withReplacement = withReplacement != null && withReplacement;
  }

  void validate(ConfigErrors errors) {
    sparsity(errors, "prune.neuron_sparsity", neuronSparsity);
    sparsity(errors, "prune.residual_sparsity", residualSparsity);
    if (samples < 0) errors.add("prune.samples", "must be >= 0, got " + samples);
    if (method == Method.ATTRIBUTION && samples < 1) {
      errors.add("prune.samples", "attribution scores at least 1 row, got " + samples);
    }
    if (batchSize < 1) errors.add("prune.batch_size", "must be >= 1, got " + batchSize);
    if (partitions < 1) errors.add("prune.partitions", "must be >= 1, got " + partitions);
    if (withReplacement && method != Method.RANDOM) {
      errors.add("prune.with_replacement", "applies to method: random only");
    }
    if (threshold != null && method != Method.NORM) errors.add("prune.threshold", "applies to method: norm only");
    if (threshold != null && !(threshold >= 0)) errors.add("prune.threshold", "must be >= 0, got " + threshold);
  }

  /** A sparsity left out is not an error here: a grid's runs set it (see {@link #requireSparsities}). */
  private static void sparsity(ConfigErrors errors, String key, Double value) {
    if (value != null && !(value >= 0 && value <= 1)) errors.add(key, "must be in [0, 1], got " + value);
  }

  /**
   * What pruning needs beyond a valid section: both sparsities, which a grid usually sets per run.
   *
   * @param runs the config's run names, for the way out
   */
  public void requireSparsities(java.nio.file.Path file, java.util.Collection<String> runs) {
    if (threshold != null) return; // norm pruning by a threshold needs no sparsity
    ConfigErrors errors = new ConfigErrors(file);
    String hint = runs.isEmpty() ? "" : ", or pick a run with --run (" + String.join(", ", runs) + ")";
    if (neuronSparsity == null) errors.add("prune.neuron_sparsity", "is required (a fraction in [0, 1])" + hint);
    if (residualSparsity == null) errors.add("prune.residual_sparsity", "is required (a fraction in [0, 1])" + hint);
    errors.throwIfAny();
  }
}
