/**
 * Pruning by gradient attribution, the study's {@code pruneandtrain01}: the stage after training
 * and distributed training (it uses {@link narrow.data}, {@link narrow.model}, {@link narrow.train}
 * and {@link narrow.engine}; nothing earlier uses it).
 *
 * <ul>
 *   <li>{@link narrow.prune.GradientAttribution}: one forward and backward per batch on a model,
 *       reduced at once to {@link narrow.prune.AttributionSums} (per MLP neuron, per residual
 *       dimension): no accumulator of the model's size exists;
 *   <li>{@link narrow.prune.AttributionSums#plus} adds batches, partitions and machines alike;
 *       {@link narrow.prune.AttributionSums#scores()} gives the study's scores;
 *   <li>{@link narrow.prune.PruningSelection}: the lowest scores, the pruned index lists a mask and
 *       the statistics are written from;
 *   <li>{@link narrow.prune.AttributionJob}: the same on Spark, partitions of whole batches.
 * </ul>
 */
package narrow.prune;
