package narrow.prune;

import java.io.IOException;
import narrow.train.CheckpointStore;
import narrow.train.ModelSource;
import org.apache.spark.util.SerializableConfiguration;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import narrow.data.TokenizedDataset;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Torch;
import narrow.model.ComputeDevice;
import narrow.model.LlamaConfig;
import narrow.model.LlamaForCausalLM;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;

/**
 * Attribution scoring as a Spark job: the batches are cut into {@code partitions} contiguous runs
 * of whole batches; each task loads the model on its executor, runs one forward and backward per
 * batch and emits only its {@link AttributionSums} (a few hundred thousand numbers for
 * Llama-3.2-1B, never a gradient); Spark adds them up (a tree reduction) and the driver forms the
 * scores and the selection. Since the sums are linear in the per-batch |gradient|, any partition
 * count gives the same scores up to the float64 rounding of the additions.
 */
public final class AttributionJob {
  private AttributionJob() {}

  /**
   * One scoring run.
   *
   * @param modelDir a HF checkpoint folder every executor can read at this path
   * @param dataset a tokenized dataset (a local folder or a Hadoop URI such as {@code s3a://})
   * @param samples the first rows of {@code split} scored (the study: 1024)
   * @param batchSize rows per backward pass
   * @param maxLength ids per row at most
   */
  public record Settings(String modelDir, String dataset, String split, int samples, int batchSize,
      int maxLength, int partitions, double neuronSparsity, double residualSparsity) implements Serializable {
    public Settings {
      if (partitions < 1) throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
    }
  }

  /** Reads the attribution rows, scores them on Spark, selects the lowest. */
  public static AttributionResult run(JavaSparkContext jsc, Settings s) throws IOException {
    long start = System.nanoTime();
    // the same pad as training: the model's pad id, else eos
    long padId = new ModelSource.Pretrained(s.modelDir()).readConfig(jsc.hadoopConfiguration()).padId();
    TokenizedDataset data = s.dataset().contains("://")
        ? TokenizedDataset.open(s.dataset(), jsc.hadoopConfiguration())
        : TokenizedDataset.open(Path.of(s.dataset()));
    List<AttributionBatch> batches =
        AttributionRows.firstBatches(data, s.split(), s.samples(), s.batchSize(), s.maxLength(), padId);
    AttributionScores scores = sums(jsc, s.modelDir(), batches, s.partitions()).scores();
    PruningSelection pruned = PruningSelection.lowestScores(scores, s.neuronSparsity(), s.residualSparsity());
    return new AttributionResult(scores, pruned, batches.size(), s.partitions(), (System.nanoTime() - start) / 1e9);
  }

  /**
   * The summed attribution of {@code batches} over {@code partitions} Spark tasks. A partition left
   * without a batch (more partitions than batches) loads no model and adds nothing.
   */
  public static AttributionSums sums(JavaSparkContext jsc, String modelDir, List<AttributionBatch> batches,
      int partitions) {
    if (batches.isEmpty()) throw new IllegalArgumentException("no attribution batches");
    jsc.setJobDescription("narrow prune: attribution of " + batches.size() + " batches on " + partitions
        + " partitions");
    return partialSums(jsc, modelDir, batches, partitions)
        .treeReduce((a, b) -> Shipped.of(a.get().plus(b.get()))).get();
  }

  /**
   * One {@link AttributionSums} per partition that holds a batch, not yet added up; batches and
   * sums travel {@link Shipped} (records do not go through Spark's Kryo).
   */
  static JavaRDD<Shipped<AttributionSums>> partialSums(JavaSparkContext jsc, String modelDir,
      List<AttributionBatch> batches, int partitions) {
    // parallelize slices a list into contiguous runs, so every partition holds whole batches
    List<Shipped<AttributionBatch>> shipped = batches.stream().map(Shipped::of).toList();
    return jsc.parallelize(shipped, partitions).mapPartitions(
        new ScorePartition(modelDir, new SerializableConfiguration(jsc.hadoopConfiguration())));
  }

  /** One task: its batches' sums, from a model it loads itself. */
  static final class ScorePartition
      implements FlatMapFunction<Iterator<Shipped<AttributionBatch>>, Shipped<AttributionSums>> {
    private final String modelDir;
    private final SerializableConfiguration hadoop;

    /** {@code modelDir}: local (the same path on every executor) or remote (each task downloads it). */
    ScorePartition(String modelDir, SerializableConfiguration hadoop) {
      this.modelDir = modelDir;
      this.hadoop = hadoop;
    }

    @Override
    public Iterator<Shipped<AttributionSums>> call(Iterator<Shipped<AttributionBatch>> batches)
        throws IOException {
      if (!batches.hasNext()) return Collections.emptyIterator();
      TaskContext ctx = TaskContext.get();
      Device device = Device.CPU;
      if (ctx != null) {
        Torch.setThreads(Math.max(1, ctx.cpus()));
        var gpus = ctx.resources().get("gpu");
        if (gpus.isDefined() && gpus.get().addresses().length > 0) {
          device = ComputeDevice.fromSetting("cuda:" + gpus.get().addresses()[0]);
        }
      }
      try (TensorScope scope = new TensorScope();
          LlamaForCausalLM model = load(device)) {
        GradientAttribution scorer = new GradientAttribution(model);
        AttributionSums total = scorer.zeroSums();
        while (batches.hasNext()) total = total.plus(scorer.batch(batches.next().get()));
        return List.of(Shipped.of(total)).iterator();
      }
    }

    private LlamaForCausalLM load(Device device) throws IOException {
      try (CheckpointStore.LocalCopy base = CheckpointStore.fetchModel(modelDir, hadoop.value())) {
        return LlamaForCausalLM.load(base.dir(), device);
      }
    }
  }
}
