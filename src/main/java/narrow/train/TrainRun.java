package narrow.train;

import java.nio.file.Path;
import java.util.function.Consumer;
import narrow.model.DeviceSetting;
import org.apache.hadoop.conf.Configuration;

/**
 * Everything one training run needs: what it trains ({@link TrainSpec}, the config's part, which
 * Spark ships to replicas) and where it runs, which each JVM sets for itself.
 *
 * @param console progress lines (step, loss, tokens/s, ETA)
 * @param threads libtorch's intra-op threads: the cores this run owns (a Spark task's
 *     {@code spark.task.cpus}); 0 takes every core of the machine
 * @param replicas the data-parallel group this run is one replica of; {@link Replicas#single()}
 * @param hadoop how to reach remote locations (s3a endpoint, credentials provider...); {@code
 *     null}: the Spark session's when the run is distributed over Spark, else Hadoop's defaults
 * @param onStep sees each optimizer step of {@link Trainer#run()} once it is done (a replica
 *     reports its progress to the driver with it)
 */
public record TrainRun(TrainSpec spec, TrainingHooks hooks, Consumer<String> console, int threads,
    Replicas replicas, Configuration hadoop, Consumer<Trainer.StepStats> onStep) {

  public TrainRun {
    if (spec == null) throw new IllegalArgumentException("a run needs its spec");
    if (hooks == null) hooks = TrainingHooks.none();
    if (console == null) console = System.err::println;
    if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
    if (replicas == null) replicas = Replicas.single();
    if (onStep == null) onStep = step -> {};
  }

  /** The spec, run in this JVM with every core, no hooks and Hadoop's defaults. */
  public static TrainRun of(TrainSpec spec) {
    return new TrainRun(spec, TrainingHooks.none(), null, 0, null, null, null);
  }

  /** A run on the dataset at {@code dataset}: a local path or a URI. */
  public static TrainRun of(ModelSource model, String dataset, TrainingArguments args) {
    return of(TrainSpec.of(model, dataset, args));
  }

  /** A run on a local dataset. */
  public static TrainRun of(ModelSource model, Path dataset, TrainingArguments args) {
    return of(model, dataset.toString(), args);
  }

  public ModelSource model() {
    return spec.model();
  }

  public String dataset() {
    return spec.dataset();
  }

  public TrainingArguments args() {
    return spec.args();
  }

  public Path tokenizer() {
    return spec.tokenizer() == null ? null : Path.of(spec.tokenizer());
  }

  public String resumeFrom() {
    return spec.resumeFrom();
  }

  public DeviceSetting device() {
    return spec.device();
  }

  /** {@link #hadoop}, or Hadoop's defaults when it is not set. */
  public Configuration hadoopOrDefault() {
    return hadoop != null ? hadoop : new Configuration();
  }

  /** The threads to give libtorch: {@link #threads}, or every core when it is 0. */
  public int effectiveThreads() {
    return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
  }

  private TrainRun withSpec(TrainSpec s) {
    return new TrainRun(s, hooks, console, threads, replicas, hadoop, onStep);
  }

  public TrainRun asReplica(Replicas group) {
    return new TrainRun(spec, hooks, console, threads, group, hadoop, onStep);
  }

  public TrainRun withThreads(int n) {
    return new TrainRun(spec, hooks, console, n, replicas, hadoop, onStep);
  }

  /** Resumes from a checkpoint folder: a local path or a URI. */
  public TrainRun resumingFrom(String checkpoint) {
    return withSpec(spec.resumingFrom(checkpoint));
  }

  public TrainRun resumingFrom(Path checkpoint) {
    return resumingFrom(checkpoint.toString());
  }

  public TrainRun withTokenizer(Path tokenizerJson) {
    return withSpec(spec.withTokenizer(tokenizerJson == null ? null : tokenizerJson.toString()));
  }

  public TrainRun withHooks(TrainingHooks h) {
    return new TrainRun(spec, h, console, threads, replicas, hadoop, onStep);
  }

  public TrainRun withConsole(Consumer<String> c) {
    return new TrainRun(spec, hooks, c, threads, replicas, hadoop, onStep);
  }

  public TrainRun onDevice(DeviceSetting setting) {
    return withSpec(spec.onDevice(setting));
  }

  public TrainRun withStepListener(Consumer<Trainer.StepStats> listener) {
    return new TrainRun(spec, hooks, console, threads, replicas, hadoop, listener);
  }

  public TrainRun withHadoop(Configuration conf) {
    return new TrainRun(spec, hooks, console, threads, replicas, conf, onStep);
  }
}
