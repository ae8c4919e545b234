package narrow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import narrow.engine.Autograd;
import narrow.engine.Ops;
import narrow.engine.TensorScope;
import narrow.engine.Torch;
import narrow.model.LlamaConfig;
import narrow.model.LlamaForCausalLM;
import narrow.model.LlamaForCausalLM.AttentionKernel;
import narrow.train.ModelSource;
import narrow.train.TrainRun;
import narrow.train.StepTimings;
import narrow.train.Trainer;
import narrow.train.TrainingArguments;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * narrow's side of {@link TrainBench} and the sides of {@link PruneBench}, in a child JVM, stepped
 * on command in the line protocol of {@link WorkerProcess} (the same as
 * {@code torch_train_reference.py --worker}). {@code work} picks what a step is: {@code train}
 * (the default), the real {@link Trainer} step (data collation, forward, backward, clipping,
 * AdamW); {@code attribution}, one batch through {@link narrow.prune.GradientAttribution};
 * {@code forward-backward}, that batch's forward and backward alone; {@code idle}, nothing (no
 * model: libtorch loaded, for a memory baseline).
 *
 * <pre>java ... narrow.bench.TrainWorker model=d256_l4_h4|PATH/config.json batch=4 seq=256 bf16=false [work=train]</pre>
 *
 * It works on random ids it writes itself (the same on every start, for every kind of work):
 * speed does not depend on the data.
 */
public final class TrainWorker {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** CPU time of the whole process (every thread, user and system): what a step costs however busy the machine is. */
  private static final com.sun.management.OperatingSystemMXBean CPU =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  /** More steps than any benchmark runs: the schedule never ends a worker. */
  private static final long MAX_STEPS = 1_000_000;

  private TrainWorker() {}

  /** What {@code work=} accepts. */
  static final List<String> WORK = List.of("train", "attribution", "forward-backward", "idle");

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = WorkerLoop.arguments(argv);
    String work = a.getOrDefault("work", "train");
    if (!WORK.contains(work)) throw new IllegalArgumentException("work must be one of " + WORK + ", got " + work);
    PrintStream protocol = takeStdout();

    Path dir = Files.createTempDirectory("trainworker");
    try (WorkerTask task = open(work, a, dir)) {
      ObjectNode ready = JSON.createObjectNode().put("ready", true)
          .put("engine", "narrow, libtorch " + Torch.VERSION + " (JavaCPP), " + Torch.blas().label())
          .put("params", task.params()).put("threads", Torch.threads()).put("bf16", task.bf16());
      ready.putArray("kernels").add("eager").add("sdpa");
      if (task.defaultKernel() != null) ready.put("default_kernel", task.defaultKernel());
      WorkerLoop.reply(protocol, ready);
      serve(task, protocol);
    } finally {
      narrow.util.LocalFolders.deleteRecursively(dir);
    }
  }

  private static WorkerTask open(String work, Map<String, String> a, Path dir) throws IOException {
    if (work.equals("idle")) return PruneTasks.idle();
    String model = a.get("model");
    int batch = Integer.parseInt(a.get("batch"));
    int seq = Integer.parseInt(a.get("seq"));
    boolean bf16 = Boolean.parseBoolean(a.get("bf16"));
    LlamaConfig config = model.endsWith(".json") ? LlamaConfig.read(Path.of(model)) : LlamaConfig.preset(model);
    Path data = syntheticDataset(dir.resolve("data"), config.vocabSize(), seq, 8 * batch, 1);
    if (!work.equals("train")) {
      if (bf16) throw new IllegalArgumentException("attribution runs in float32 only: bf16=true is for work=train");
      return PruneTasks.scoring(config, data, batch, seq, work.equals("attribution"));
    }
    Trainer trainer = Trainer.open(TrainRun.of(new ModelSource.Fresh(config, 0), data,
        benchArgs(dir.resolve("out"), seq, batch, bf16)));
    String defaultKernel = LlamaForCausalLM.defaultAttention(trainer.model().device()).name()
        .toLowerCase(java.util.Locale.ROOT);
    return new WorkerTask() {
      @Override
      public String defaultKernel() {
        return defaultKernel;
      }

      @Override
      public Timed step() throws IOException {
        StepTimings before = trainer.timings();
        Trainer.StepStats step = trainer.step();
        StepTimings after = trainer.timings();
        return new Timed(step.seconds(), step.loss(), new double[] {after.forward() - before.forward(),
            after.backward() + after.lastBackward() - before.backward() - before.lastBackward(),
            after.gradientSync() + after.optimizer() - before.gradientSync() - before.optimizer()});
      }

      @Override
      public void attention(AttentionKernel kernel) {
        trainer.model().setAttention(kernel);
      }

      @Override
      public long params() {
        return trainer.model().parameters().values().stream().mapToLong(Tensor::numel).sum();
      }

      @Override
      public boolean bf16() {
        return trainer.bf16();
      }

      @Override
      public void close() {
        trainer.close();
      }
    };
  }

  /**
   * The bench's training settings: the study's (lr 5e-4, weight decay 0.01, cosine, clipping at
   * 1.0), no logging, evaluation or checkpoints, so a step is the training work alone.
   */
  static TrainingArguments benchArgs(Path out, int seqLen, int batch, boolean bf16) {
    return TrainingArguments.defaults(out.toString()).with(Map.ofEntries(Map.entry("max_steps", MAX_STEPS),
        Map.entry("max_length", seqLen), Map.entry("per_device_train_batch_size", batch),
        Map.entry("logging_steps", 0), Map.entry("eval_steps", 0), Map.entry("save_steps", 0),
        Map.entry("learning_rate", 5e-4), Map.entry("weight_decay", 0.01), Map.entry("warmup_steps", 1),
        Map.entry("lr_scheduler_type", "cosine"), Map.entry("bf16", bf16)));
  }

  private static void serve(WorkerTask task, PrintStream protocol) throws IOException {
    WorkerLoop.serve(protocol, (w, answer) -> {
      switch (w[0]) {
        case "steps" -> {
          task.attention(AttentionKernel.valueOf(w[2].toUpperCase(java.util.Locale.ROOT)));
          var seconds = answer.putArray("seconds");
          var cpuSeconds = answer.putArray("cpu_seconds");
          var faults = answer.putArray("page_faults");
          var losses = answer.putArray("losses");
          var phases = answer.putArray("phases");
          for (int i = Integer.parseInt(w[1]); i > 0; i--) {
            long cpu0 = CPU.getProcessCpuTime();
            long faults0 = minorFaults();
            WorkerTask.Timed step = task.step();
            cpuSeconds.add((CPU.getProcessCpuTime() - cpu0) / 1e9);
            faults.add(minorFaults() - faults0);
            seconds.add(step.seconds());
            losses.add(step.loss());
            if (step.phases() != null) {
              var p = phases.addArray();
              for (double x : step.phases()) p.add(x);
            }
          }
        }
        case "gemm" -> {
          var seconds = answer.putArray("seconds");
          for (double s : gemm(Long.parseLong(w[1]), Long.parseLong(w[2]), Long.parseLong(w[3]), w[4],
              Integer.parseInt(w[5]))) {
            seconds.add(s);
          }
        }
        default -> WorkerLoop.unknown(w, answer);
      }
    });
  }

  /** Each GEMM timing calls it as often as fills this long: a single small call is mostly thread wake-up. */
  private static final long GEMM_MIN_NANOS = 100_000_000;

  /**
   * Seconds per call of {@code linear(x[m,k], w[n,k])} in libtorch ({@code float32} or
   * {@code bfloat16}), {@code reps} timings: the matmul rate this library reaches on the model's
   * shapes, which model-FLOPs utilisation is measured against.
   */
  static List<Double> gemm(long m, long k, long n, String dtype, int reps) {
    ScalarType type = switch (dtype) {
      case "float32" -> ScalarType.Float;
      case "bfloat16" -> ScalarType.BFloat16;
      default -> throw new IllegalArgumentException("dtype must be float32 or bfloat16, got " + dtype);
    };
    List<Double> seconds = new ArrayList<>();
    try (TensorScope scope = new TensorScope(); Autograd.Scope noGrad = Autograd.noGrad()) {
      TensorOptions f32 = new TensorOptions(ScalarType.Float);
      Tensor x = torch.rand(new long[] {m, k}, f32).to(type);
      Tensor w = torch.rand(new long[] {n, k}, f32).to(type);
      for (int i = 0; i < reps; i++) {
        long calls = 0;
        long t0 = System.nanoTime();
        long elapsed;
        do {
          try (TensorScope call = new TensorScope()) {
            Ops.linear(x, w);
          }
          calls++;
          elapsed = System.nanoTime() - t0;
        } while (elapsed < GEMM_MIN_NANOS);
        seconds.add(elapsed / 1e9 / calls);
      }
    }
    return seconds;
  }

  /**
   * The answer to {@code memory}: resident now and at its peak, the committed heap after a GC, and
   * what the C allocator has handed out (-1 where it cannot tell).
   */
  static void putMemory(ObjectNode answer) throws IOException {
    System.gc();
    answer.put("rss_kb", procStatusKb("VmRSS")).put("hwm_kb", procStatusKb("VmHWM"))
        .put("heap_kb", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024)
        .put("malloc_kb", MallocInUse.kib());
  }

  /** The protocol owns stdout: whatever else prints there (libraries' notices) goes to stderr. */
  static PrintStream takeStdout() {
    PrintStream protocol = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
        StandardCharsets.UTF_8);
    System.setOut(System.err);
    return protocol;
  }

  /**
   * Minor page faults of this process so far (field 10 of /proc/self/stat): how often the kernel
   * had to map fresh memory in, the cost a caching allocator avoids.
   */
  static long minorFaults() throws IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    // the command name (field 2) is in parentheses and may hold spaces: count from after it
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[7]);
  }

  /** A "Vm..." line of /proc/self/status in KiB. */
  static long procStatusKb(String key) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(key + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
    return -1;
  }

  /** Random ids in pack layout: speed does not depend on the data. */
  static Path syntheticDataset(Path dir, int vocab, int seqLen, int rows, long seed) throws IOException {
    MessageType schema = MessageTypeParser.parseMessageType(
        "message spark_schema { optional group input_ids (LIST) { repeated group list { optional int32 element; } } }");
    SplittableRandom rng = new SplittableRandom(seed);
    Files.createDirectories(dir.resolve("train"));
    Configuration conf = new Configuration(false);
    conf.set("fs.file.impl", "org.apache.hadoop.fs.LocalFileSystem");
    SimpleGroupFactory f = new SimpleGroupFactory(schema);
    try (ParquetWriter<Group> w = ExampleParquetWriter
        .builder(new org.apache.hadoop.fs.Path(dir.resolve("train/part-00000.parquet").toUri()))
        .withConf(conf).withType(schema).build()) {
      for (int r = 0; r < rows; r++) {
        Group g = f.newGroup();
        Group list = g.addGroup("input_ids");
        for (int i = 0; i < seqLen; i++) list.addGroup("list").append("element", rng.nextInt(vocab));
        w.write(g);
      }
    }
    Files.writeString(dir.resolve("_SUCCESS"), "");
    return dir;
  }
}
