package narrow.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import narrow.distributed.DistributedTraining;
import narrow.distributed.ReplicaHooks;
import narrow.engine.ProcessGroup;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.engine.Torch;
import narrow.model.LlamaConfig;
import narrow.train.ModelSource;
import narrow.train.StepTimings;
import narrow.train.TrainResult;
import narrow.train.TrainRun;
import narrow.train.Trainer;
import narrow.train.TrainingArguments;
import narrow.util.LocalFolders;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.bytedeco.pytorch.Tensor;

/**
 * Data-parallel speed on this machine: Gloo all-reduce bandwidth on loopback beside a memory copy
 * of the same size, and training tokens/s with 1 and 2 replicas (one core each) on a model where
 * computation dominates, with the all-reduce's share of a step and how much of it overlapping
 * with backward hides.
 *
 * <pre>narrow bench distributed [--preset d256_l4_h4] [--seq 256] [--batch 4] [--steps 3] [--rounds 3]</pre>
 */
public final class DistributedBench {
  private DistributedBench() {}

  public record Options(String preset, int seq, int batch, int steps, int rounds, List<Integer> megabytes) {
    public static Options defaults() {
      return new Options("d256_l4_h4", 256, 4, 3, 3, List.of(4, 64, 512));
    }
  }

  /** Median seconds of an all-reduce over two ranks and of a copy of the same bytes. */
  public record Bandwidth(int megabytes, double allReduceSeconds, double copySeconds) {
    double allReduceGbps() {
      return megabytes / 1024.0 / allReduceSeconds;
    }

    double copyGbps() {
      return megabytes / 1024.0 / copySeconds;
    }
  }

  public static void main(String[] args) throws Exception {
    run(Options.defaults());
  }

  public static void run(Options o) throws Exception {
    Torch.load();
    List<Bandwidth> bw = bandwidth(o.megabytes(), o.rounds());
    StringBuilder out = new StringBuilder("Gloo all-reduce, 2 ranks on loopback (threads of one JVM), median of "
        + o.rounds() + ":\n");
    out.append(String.format(Locale.ROOT, "  %8s %14s %12s %14s %12s%n", "size", "all-reduce", "GiB/s", "memory copy",
        "GiB/s"));
    for (Bandwidth b : bw) {
      out.append(String.format(Locale.ROOT, "  %5d MB %12.1f ms %12.2f %12.1f ms %12.2f%n", b.megabytes(),
          1e3 * b.allReduceSeconds(), b.allReduceGbps(), 1e3 * b.copySeconds(), b.copyGbps()));
    }
    System.out.print(out);

    Scaling s = scaling(o);
    double gradMb = s.params() * 4.0 / (1 << 20);
    double transfer = interpolate(bw, gradMb);
    System.out.printf(Locale.ROOT, "%nTraining %s, seq %d, batch %d per replica x 2 micro-batches, %d steps (the first, "
            + "warm-up, not counted), float32, one core per replica, median of %d interleaved rounds:%n"
            + "  1 replica              : %.0f tokens/s%n"
            + "  2 replicas, overlapped : %.0f tokens/s  (scaling efficiency %.2f, goal >= 0.85)%n"
            + "  2 replicas, after      : %.0f tokens/s  (scaling efficiency %.2f)%n"
            + "  gradients %.0f MB per step: their all-reduce alone takes about %.0f ms (the table above) = %.0f%% of a "
            + "step;%n  after backward, a replica waits %.0f ms for the mean (the transfer and the slower replica);%n"
            + "  overlapping shortens a step by %.0f ms (median of the rounds' pairs): %.0f%% of the all-reduce hidden "
            + "(goal >= 50%%)%n",
        o.preset(), o.seq(), o.batch(), o.steps(), o.rounds(), s.one(), s.overlapped(),
        s.overlapped() / (2 * s.one()), s.after(), s.after() / (2 * s.one()), gradMb, 1e3 * transfer,
        100 * transfer / s.afterStep(), 1e3 * s.afterWait(), 1e3 * s.saved(), 100 * s.saved() / transfer);
  }

  static List<Bandwidth> bandwidth(List<Integer> megabytes, int rounds) throws Exception {
    List<Bandwidth> out = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    AtomicInteger port = new AtomicInteger(-1);
    try {
      List<Future<double[]>> ranks = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        int rank = r;
        ranks.add(pool.submit(() -> {
          double[] times = new double[megabytes.size() * 2];
          try (ProcessGroup group = ProcessGroup.joinInProcess(rank, 2, port, Duration.ofMinutes(5))) {
            Torch.setThreads(1);
            for (int i = 0; i < megabytes.size(); i++) {
              long n = (long) megabytes.get(i) << 18; // floats
              try (TensorScope scope = new TensorScope()) {
                Tensor t = Tensors.zeros(narrow.engine.Device.CPU, n);
                Tensor copy = Tensors.zeros(narrow.engine.Device.CPU, n);
                double[] reduce = new double[rounds];
                double[] copies = new double[rounds];
                group.allReduceSum(List.of(t)); // warm up the pairs' buffers
                for (int k = 0; k < rounds; k++) { // interleaved
                  group.barrier();
                  long t0 = System.nanoTime();
                  group.allReduceSum(List.of(t));
                  reduce[k] = (System.nanoTime() - t0) / 1e9;
                  long t1 = System.nanoTime();
                  copy.copy_(t);
                  copies[k] = (System.nanoTime() - t1) / 1e9;
                }
                times[2 * i] = median(reduce);
                times[2 * i + 1] = median(copies);
              }
            }
          }
          return times;
        }));
      }
      double[] t = ranks.get(0).get();
      ranks.get(1).get();
      for (int i = 0; i < megabytes.size(); i++) out.add(new Bandwidth(megabytes.get(i), t[2 * i], t[2 * i + 1]));
    } finally {
      pool.shutdownNow();
    }
    return out;
  }

  /**
   * Medians over rounds. {@code afterWait}: the after-backward run's wait for the mean gradients,
   * per step. {@code saved}: how much shorter an overlapped step is than an after-backward one,
   * paired within each round (the same machine state), so the load's drift cancels.
   */
  record Scaling(long params, double one, double overlapped, double after, double afterStep, double afterWait,
      double saved) {}

  static Scaling scaling(Options o) throws Exception {
    Path work = Files.createTempDirectory("distbench");
    SparkSession spark = SparkSession.builder().master("local[2]").appName("bench distributed")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    try {
      LlamaConfig cfg = LlamaConfig.preset(o.preset());
      Path data = TrainWorker.syntheticDataset(work.resolve("data"), cfg.vocabSize(), o.seq(),
          4 * o.batch() * (o.steps() + 2), 1);
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      double[] one = new double[o.rounds()];
      double[] overlapped = new double[o.rounds()];
      double[] after = new double[o.rounds()];
      double[] afterStep = new double[o.rounds()];
      double[] afterWait = new double[o.rounds()];
      double[] saved = new double[o.rounds()];
      for (int k = 0; k < o.rounds(); k++) { // interleaved: a drift in the machine's load hits every side
        TrainResult single = Trainer.train(TrainRun.of(new ModelSource.Preset(o.preset(), 0), data,
            args(work.resolve("one-" + k), o, 2 * o.batch())).withThreads(1).withConsole(line -> {}));
        TrainResult on = twoReplicas(jsc, data, work.resolve("on-" + k), o, true);
        TrainResult off = twoReplicas(jsc, data, work.resolve("off-" + k), o, false);
        long tokensPerStep = 4L * o.batch() * o.seq(); // the global batch: 2 micro-batches of 2 x batch rows
        StepTimings a = off.timings();
        StepTimings b = on.timings();
        one[k] = tokensPerStep / single.timings().perStep();
        overlapped[k] = tokensPerStep / b.perStep();
        after[k] = tokensPerStep / a.perStep();
        afterStep[k] = a.perStep();
        afterWait[k] = a.gradientSync() / a.steps();
        saved[k] = a.perStep() - b.perStep();
      }
      long params = narrow.model.ModelStats.of(cfg).nParams();
      return new Scaling(params, median(one), median(overlapped), median(after), median(afterStep),
          median(afterWait), median(saved));
    } finally {
      spark.stop();
      LocalFolders.deleteRecursively(work);
    }
  }

  private static TrainResult twoReplicas(JavaSparkContext jsc, Path data, Path out, Options o, boolean overlap)
      throws Exception {
    return DistributedTraining.train(jsc,
        TrainRun.of(new ModelSource.Preset(o.preset(), 0), data, args(out, o, o.batch())).withConsole(line -> {}),
        new narrow.config.DistributedConfig(2, 600, 0, overlap, null, null), ReplicaHooks.none());
  }

  static TrainingArguments args(Path out, Options o, int batch) {
    return TrainingArguments.defaults(out.toString()).with(Map.of("max_steps", (long) o.steps(),
        "max_length", o.seq(), "per_device_train_batch_size", batch, "logging_steps", 0, "eval_steps", 0,
        "save_steps", 0, "learning_rate", 5e-4, "bf16", false, "gradient_accumulation_steps", 2));
  }

  /** All-reduce seconds for {@code mb} megabytes, linear between (or beyond) the measured sizes. */
  static double interpolate(List<Bandwidth> bw, double mb) {
    Bandwidth lo = bw.get(0);
    Bandwidth hi = bw.get(bw.size() - 1);
    for (int i = 0; i + 1 < bw.size(); i++) {
      if (bw.get(i).megabytes() <= mb && mb <= bw.get(i + 1).megabytes()) {
        lo = bw.get(i);
        hi = bw.get(i + 1);
      }
    }
    if (lo == hi) return lo.allReduceSeconds() * mb / lo.megabytes();
    double f = (mb - lo.megabytes()) / (hi.megabytes() - lo.megabytes());
    return lo.allReduceSeconds() + f * (hi.allReduceSeconds() - lo.allReduceSeconds());
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
