package narrow.distributed;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import narrow.config.DistributedConfig;
import narrow.engine.ProcessGroup;
import narrow.model.DeviceSetting;
import narrow.train.CheckpointStore;
import narrow.train.Replicas;
import narrow.train.StepTimings;
import narrow.train.TrainResult;
import narrow.train.TrainRun;
import narrow.train.TrainSpec;
import narrow.train.Trainer;
import narrow.train.TrainerState;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkContext$;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.util.SerializableConfiguration;
import scala.Function1;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag$;

/**
 * One training run as N data-parallel replicas on a Spark barrier stage, as PyTorch DDP does it:
 * task r is replica r; they rendezvous through the barrier context (replica 0 opens a TCPStore on a
 * free port of its executor and announces it with {@code allGather}), form a Gloo process group,
 * start from replica 0's weights, and from then on train the same steps, each on its slice of
 * every global batch, averaging gradients before each optimizer step. Replica 0 writes the
 * checkpoints, the logs and {@code final_model/}.
 *
 * <p>If a task or its executor is lost, Spark retries the whole barrier stage; a retried attempt
 * resumes from the newest checkpoint, so the run finishes as if it had not been interrupted.
 */
public final class DistributedTraining {
  private DistributedTraining() {}

  /**
   * Trains {@code run} on {@code settings.replicas()} Spark tasks; returns replica 0's result, its
   * runtime and tokens/s the whole run's (every attempt, the driver's wall time). The replicas
   * reach remote locations with {@code run.hadoop()}, or the session's Hadoop configuration (its
   * {@code spark.hadoop.*} settings) when the run has none. Replica 0's console lines go to
   * {@code run.console()} on the driver as heartbeats bring them.
   */
  public static TrainResult train(JavaSparkContext jsc, TrainRun run, DistributedConfig settings, ReplicaHooks hooks)
      throws IOException {
    BarrierSlots.check(jsc.sc(), settings.replicas(), settings.executorWait());
    Configuration hadoop = run.hadoop() != null ? run.hadoop() : jsc.hadoopConfiguration();
    List<Integer> ranks = IntStream.range(0, settings.replicas()).boxed().toList();
    RDD<Integer> tasks = jsc.parallelize(ranks, settings.replicas()).rdd();
    ReplicaReport report = ReplicaReport.registered(jsc.sc());
    DriverProgress progress = new DriverProgress(report.id(), run.console());
    ReplicaTask task = new ReplicaTask(run.spec(), new SerializableConfiguration(hadoop), settings, hooks, report,
        tokenizerFor(jsc, run.spec()));
    jsc.setJobDescription("narrow train: " + settings.replicas() + " replicas of " + run.args().outputDir());
    // The shuffle after the barrier stage makes it a shuffle-map stage, which Spark retries when
    // a task or executor is lost; a failed barrier *result* stage is aborted, never retried.
    RDD<ReplicaOutcome> replicated = tasks.barrier()
        .mapPartitions(task, false, ClassTag$.MODULE$.apply(ReplicaOutcome.class));
    long start = System.nanoTime();
    List<ReplicaOutcome> outcomes;
    jsc.sc().addSparkListener(progress);
    try {
      outcomes = new JavaRDD<>(replicated, ClassTag$.MODULE$.apply(ReplicaOutcome.class)).repartition(1).collect();
    } finally {
      jsc.sc().removeSparkListener(progress);
      progress.offer(report.value());
    }
    // the whole run: every attempt's steps (a retried stage redoes some) over the driver's wall time
    double seconds = (System.nanoTime() - start) / 1e9;
    ReplicaOutcome leader = outcomes.isEmpty() ? null : outcomes.get(0);
    if (leader == null) throw new IllegalStateException("replica 0 reported no result");
    TrainerState state = CheckpointStore.open(run.args().outputDir(), hadoop).readTrainerState(Trainer.FINAL_MODEL);
    return new TrainResult(leader.globalStep(), leader.trainLoss(), leader.finalModel(), state,
        seconds, progress.tokens() / seconds, StepTimings.fromArray(leader.timings()));
  }

  /**
   * The run's tokenizer.json as the driver reads it, for the replicas: the file is named by a path
   * on the driver's machine (narrow's cache, {@code data.tokenizer}), which an executor on another
   * machine does not have. Null when the run names none (the replicas take the dataset's).
   */
  private static Broadcast<byte[]> tokenizerFor(JavaSparkContext jsc, TrainSpec spec) throws IOException {
    if (spec.tokenizer() == null) return null;
    java.nio.file.Path file = java.nio.file.Path.of(spec.tokenizer());
    if (!java.nio.file.Files.isRegularFile(file)) {
      throw new narrow.util.UserError("tokenizer file not found: " + file);
    }
    return jsc.broadcast(java.nio.file.Files.readAllBytes(file));
  }

  /** What each barrier task runs: one replica from rendezvous to the end of training. */
  static final class ReplicaTask
      implements Function1<Iterator<Integer>, Iterator<ReplicaOutcome>>, Serializable {
    private final TrainSpec spec; // the config's part of the run, shipped as it is
    private final SerializableConfiguration hadoop; // the driver's, so executors reach what it reaches
    private final DistributedConfig settings;
    private final ReplicaHooks hooks;
    private final ReplicaReport report; // replica 0's lines and tokens, for the driver
    private final Broadcast<byte[]> tokenizer; // the driver's tokenizer.json, or null

    ReplicaTask(TrainSpec spec, SerializableConfiguration hadoop, DistributedConfig settings, ReplicaHooks hooks,
        ReplicaReport report, Broadcast<byte[]> tokenizer) {
      this.spec = spec;
      this.hadoop = hadoop;
      this.settings = settings;
      this.hooks = hooks;
      this.report = report;
      this.tokenizer = tokenizer;
    }

    @Override
    public Iterator<ReplicaOutcome> apply(Iterator<Integer> partition) {
      BarrierTaskContext ctx = BarrierTaskContext.get();
      int rank = ctx.partitionId();
      int size = settings.replicas();
      int attempt = ctx.stageAttemptNumber();
      String[] hosts = new String[size];
      for (int r = 0; r < size; r++) hosts[r] = hostOf(ctx.getTaskInfos()[r].address());
      List<ReplicaOutcome> out = new ArrayList<>();
      Consumer<String> console = line -> {};
      if (rank == 0) {
        report.begin(attempt);
        // in local mode this executor is the driver's JVM, whose console prints the report already
        String executor = SparkEnv.get().executorId();
        boolean echo = !executor.equals(SparkContext$.MODULE$.DRIVER_IDENTIFIER());
        console = line -> {
          if (echo) System.err.println(line);
          report.add(line);
        };
        console.accept("train: replica 0 of " + size + " on executor " + executor + " (" + hosts[0]
            + "), stage attempt " + attempt);
      }
      java.nio.file.Path tokenizerCopy = null;
      // one replica has nobody to agree with: no rendezvous, no collectives
      try (ProcessGroup group = size == 1 ? null : rendezvous(ctx, rank, size, hosts)) {
        Replicas replicas = group == null ? Replicas.single()
            : new GlooReplicas(group, settings.checkEvery(), settings.overlap());
        TrainRun run = runFor(attempt, ctx, console);
        if (tokenizer != null) {
          // the checkpoints' tokenizer.json from the driver's bytes, in this executor's own temp folder
          tokenizerCopy = java.nio.file.Files.createTempFile("narrow-tokenizer-", ".json");
          java.nio.file.Files.write(tokenizerCopy, tokenizer.value());
          run = run.withTokenizer(tokenizerCopy);
        }
        run = run
            .asReplica(replicas)
            .withHooks(hooks.create(rank, attempt))
            .withConsole(console)
            .withStepListener(rank == 0 ? step -> report.addTokens(step.realTokens()) : step -> {});
        TrainResult r = Trainer.train(run);
        if (rank == 0) {
          out.add(new ReplicaOutcome(r.globalStep(), r.trainLoss(), r.finalModel(), attempt,
              r.timings().toArray()));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("replica " + rank + ": " + e.getMessage(), e);
      } finally {
        if (tokenizerCopy != null) tokenizerCopy.toFile().delete();
      }
      return JavaConverters.asScalaIteratorConverter(out.iterator()).asScala();
    }

    /**
     * The run this replica trains: the spec's, on the GPU Spark assigned to the task if any, with
     * the task's cores; a retried attempt resumes from the newest complete checkpoint.
     */
    private TrainRun runFor(int attempt, BarrierTaskContext ctx, Consumer<String> console) throws IOException {
      TrainSpec s = spec;
      if (attempt > 0) {
        String latest = CheckpointStore.open(spec.args().outputDir(), hadoop.value()).latest();
        if (latest != null) s = spec.resumingFrom(latest);
        console.accept("train: Spark retried the replicas (stage attempt " + attempt + "): "
            + (latest == null ? "no complete checkpoint yet, starting over"
                : "resumed from " + new Path(latest).getName()));
      }
      TrainRun run = TrainRun.of(s).withHadoop(hadoop.value()).withThreads(Math.max(1, ctx.cpus()));
      String gpu = deviceOf(JavaConverters.mapAsJavaMap(ctx.resources()));
      return gpu == null ? run : run.onDevice(DeviceSetting.parse(gpu));
    }

    /**
     * The libtorch device of the first GPU Spark gave the task ({@code spark.task.resource.gpu.amount}),
     * {@code cuda:ADDRESS}, or null for none; the address is the index the cluster's GPU discovery
     * script reported.
     */
    static String deviceOf(Map<String, ResourceInformation> resources) {
      ResourceInformation gpus = resources.get("gpu");
      return gpus == null || gpus.addresses().length == 0 ? null : "cuda:" + gpus.addresses()[0];
    }

    /** Replica 0 serves the store on a free port and announces it; the others connect; all join. */
    private ProcessGroup rendezvous(BarrierTaskContext ctx, int rank, int size, String[] hosts) {
      Duration timeout = settings.timeout();
      ProcessGroup.Store store = null;
      try {
        String announced;
        if (rank == 0) {
          store = ProcessGroup.serveStore(hosts[0], size, timeout);
          announced = Integer.toString(store.port());
        } else {
          announced = "";
        }
        int port = Integer.parseInt(ctx.allGather(announced)[0]);
        if (rank != 0) store = ProcessGroup.connectStore(hosts[0], port, size, timeout);
        return ProcessGroup.join(store, hosts[rank], rank, size, timeout);
      } catch (RuntimeException e) {
        if (store != null) store.close();
        throw e;
      }
    }

    /** "host:port" (an executor's address in the task infos) → host. */
    static String hostOf(String address) {
      int colon = address.lastIndexOf(':');
      return colon > 0 ? address.substring(0, colon) : address;
    }
  }
}
