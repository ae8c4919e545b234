package narrow.prune;

/**
 * What attribution scoring leaves for the mask, {@code pruning_stats.json} and the metadata: the
 * scores per layer and per dimension, and the pruned index lists.
 *
 * @param batches backward passes run
 * @param partitions Spark partitions the batches were spread over
 * @param seconds wall time of the scoring job
 */
public record AttributionResult(AttributionScores scores, PruningSelection pruned, long batches, int partitions,
    double seconds) {}
