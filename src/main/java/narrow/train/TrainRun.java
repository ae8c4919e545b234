package narrow.train;

import java.nio.file.Path;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;

/**
 * Everything one training run needs; the CLI builds it from an experiment's YAML. Locations (the
 * dataset, the checkpoint to resume from, {@code args.output_dir}) are local paths or URIs of a
 * Hadoop file system ({@code s3a://…}, {@code gs://…}).
 *
 * @param model ignored when resuming: the checkpoint's weights are the model
 * @param dataset the tokenize job's output folder ({@code train/}, {@code validation/}, {@code _SUCCESS})
 * @param tokenizer {@code tokenizer.json} copied into every checkpoint; {@code null} takes
 *     {@code <dataset>/tokenizer.json} if there is one
 * @param resumeFrom a complete {@code checkpoint-N} folder to continue from, or {@code null}
 * @param console progress lines (step, loss, tokens/s, ETA)
 * @param device {@code auto} (a GPU when libtorch sees one), {@code cpu}, {@code gpu} or {@code cuda:N}
 * @param threads libtorch's intra-op threads: the cores this run owns (a Spark task's
 *     {@code spark.task.cpus}); 0 takes every core of the machine
 * @param replicas the data-parallel group this run is one replica of; {@link Replicas#single()}
 * @param hadoop how to reach remote locations (s3a endpoint, credentials provider...); {@code
 *     null}: the Spark session's when the run is distributed over Spark, else Hadoop's defaults
 */
public record TrainRun(ModelSource model, String dataset, TrainingArguments args, Path tokenizer,
    String resumeFrom, TrainingHooks hooks, Consumer<String> console, String device, int threads,
    Replicas replicas, Configuration hadoop) {

  public TrainRun {
    if (hooks == null) hooks = TrainingHooks.none();
    if (console == null) console = System.err::println;
    if (device == null) device = "auto";
    if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
    if (replicas == null) replicas = Replicas.single();
  }

  /** A run on the dataset at {@code dataset}: a local path or a URI. */
  public static TrainRun of(ModelSource model, String dataset, TrainingArguments args) {
    return new TrainRun(model, dataset, args, null, null, TrainingHooks.none(), null, null, 0, null, null);
  }

  /** A run on a local dataset. */
  public static TrainRun of(ModelSource model, Path dataset, TrainingArguments args) {
    return of(model, dataset.toString(), args);
  }

  /** {@link #hadoop}, or Hadoop's defaults when it is not set. */
  public Configuration hadoopOrDefault() {
    return hadoop != null ? hadoop : new Configuration();
  }

  /** The threads to give libtorch: {@link #threads}, or every core when it is 0. */
  public int effectiveThreads() {
    return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
  }

  public TrainRun asReplica(Replicas group) {
    return new TrainRun(model, dataset, args, tokenizer, resumeFrom, hooks, console, device, threads, group, hadoop);
  }

  public TrainRun withThreads(int n) {
    return new TrainRun(model, dataset, args, tokenizer, resumeFrom, hooks, console, device, n, replicas, hadoop);
  }

  /** Resumes from a checkpoint folder: a local path or a URI. */
  public TrainRun resumingFrom(String checkpoint) {
    return new TrainRun(model, dataset, args, tokenizer, checkpoint, hooks, console, device, threads, replicas,
        hadoop);
  }

  public TrainRun resumingFrom(Path checkpoint) {
    return resumingFrom(checkpoint.toString());
  }

  public TrainRun withTokenizer(Path tokenizerJson) {
    return new TrainRun(model, dataset, args, tokenizerJson, resumeFrom, hooks, console, device, threads, replicas,
        hadoop);
  }

  public TrainRun withHooks(TrainingHooks h) {
    return new TrainRun(model, dataset, args, tokenizer, resumeFrom, h, console, device, threads, replicas, hadoop);
  }

  public TrainRun withConsole(Consumer<String> c) {
    return new TrainRun(model, dataset, args, tokenizer, resumeFrom, hooks, c, device, threads, replicas, hadoop);
  }

  public TrainRun onDevice(String setting) {
    return new TrainRun(model, dataset, args, tokenizer, resumeFrom, hooks, console, setting, threads, replicas,
        hadoop);
  }

  public TrainRun withHadoop(Configuration conf) {
    return new TrainRun(model, dataset, args, tokenizer, resumeFrom, hooks, console, device, threads, replicas, conf);
  }
}
