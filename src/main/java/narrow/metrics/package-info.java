/**
 * The study's metrics as Parquet tables ({@code history}, {@code runs}, {@code pruning},
 * {@code neuron_norms}) under {@code <root>/_metrics/}, rebuilt from the run folders of a study
 * tree {@code <root>/<experiment>/<run>/} so that they never disagree with the files. Depends on
 * train, prune and model for the run files' readers; cli and the runner call {@link
 * narrow.metrics.StudyMetrics}.
 */
package narrow.metrics;
