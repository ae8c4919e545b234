package narrow.distributed;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import narrow.config.DistributedConfig;
import narrow.engine.ProcessGroup;
import narrow.model.DeviceSetting;
import narrow.train.CheckpointStore;
import narrow.train.StepTimings;
import narrow.train.TrainResult;
import narrow.train.TrainRun;
import narrow.train.TrainSpec;
import narrow.train.Trainer;
import narrow.train.TrainerState;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
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
   * Trains {@code run} on {@code settings.replicas()} Spark tasks; returns replica 0's result. The
   * replicas reach remote locations with {@code run.hadoop()}, or the session's Hadoop configuration
   * (its {@code spark.hadoop.*} settings) when the run has none.
   */
  public static TrainResult train(JavaSparkContext jsc, TrainRun run, DistributedConfig settings, ReplicaHooks hooks)
      throws IOException {
    BarrierSlots.check(jsc.sc(), settings.replicas(), settings.executorWait());
    Configuration hadoop = run.hadoop() != null ? run.hadoop() : jsc.hadoopConfiguration();
    List<Integer> ranks = IntStream.range(0, settings.replicas()).boxed().toList();
    RDD<Integer> tasks = jsc.parallelize(ranks, settings.replicas()).rdd();
    ReplicaTask task = new ReplicaTask(run.spec(), new SerializableConfiguration(hadoop), settings, hooks);
    jsc.setJobDescription("narrow train: " + settings.replicas() + " replicas of " + run.args().outputDir());
    // The shuffle after the barrier stage makes it a shuffle-map stage, which Spark retries when
    // a task or executor is lost; a failed barrier *result* stage is aborted, never retried.
    RDD<ReplicaOutcome> replicated = tasks.barrier()
        .mapPartitions(task, false, ClassTag$.MODULE$.apply(ReplicaOutcome.class));
    List<ReplicaOutcome> outcomes = new JavaRDD<>(replicated, ClassTag$.MODULE$.apply(ReplicaOutcome.class))
        .repartition(1).collect();
    ReplicaOutcome leader = outcomes.isEmpty() ? null : outcomes.get(0);
    if (leader == null) throw new IllegalStateException("replica 0 reported no result");
    TrainerState state = CheckpointStore.open(run.args().outputDir(), hadoop).readTrainerState(Trainer.FINAL_MODEL);
    return new TrainResult(leader.globalStep(), leader.trainLoss(), leader.finalModel(), state,
        leader.runtimeSeconds(), leader.tokensPerSecond(), StepTimings.fromArray(leader.timings()));
  }

  /** What each barrier task runs: one replica from rendezvous to the end of training. */
  static final class ReplicaTask
      implements Function1<Iterator<Integer>, Iterator<ReplicaOutcome>>, Serializable {
    private final TrainSpec spec; // the config's part of the run, shipped as it is
    private final SerializableConfiguration hadoop; // the driver's, so executors reach what it reaches
    private final DistributedConfig settings;
    private final ReplicaHooks hooks;

    ReplicaTask(TrainSpec spec, SerializableConfiguration hadoop, DistributedConfig settings, ReplicaHooks hooks) {
      this.spec = spec;
      this.hadoop = hadoop;
      this.settings = settings;
      this.hooks = hooks;
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
      try (ProcessGroup group = rendezvous(ctx, rank, size, hosts)) {
        TrainRun run = runFor(rank, attempt, ctx)
            .asReplica(new GlooReplicas(group, settings.checkEvery(), settings.overlap()))
            .withHooks(hooks.create(rank, attempt))
            .withConsole(rank == 0 ? System.err::println : line -> {});
        TrainResult r = Trainer.train(run);
        if (rank == 0) {
          out.add(new ReplicaOutcome(r.globalStep(), r.trainLoss(), r.finalModel(),
              r.trainRuntimeSeconds(), r.tokensPerSecond(), attempt, r.timings().toArray()));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("replica " + rank + ": " + e.getMessage(), e);
      }
      return JavaConverters.asScalaIteratorConverter(out.iterator()).asScala();
    }

    /**
     * The run this replica trains: the spec's, on the GPU Spark assigned to the task if any, with
     * the task's cores; a retried attempt resumes from the newest complete checkpoint.
     */
    private TrainRun runFor(int rank, int attempt, BarrierTaskContext ctx) throws IOException {
      TrainSpec s = spec;
      if (attempt > 0) {
        String latest = CheckpointStore.open(spec.args().outputDir(), hadoop.value()).latest();
        if (latest != null) s = spec.resumingFrom(latest);
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
