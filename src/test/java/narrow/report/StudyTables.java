package narrow.report;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A small study's metrics tables, written through Spark with the contract's schemas
 * (notes: the metrics tables), partitioned by experiment as {@code narrow metrics} writes them.
 */
public final class StudyTables {
  public static final StructType RUNS = new StructType()
      .add("experiment", DataTypes.StringType).add("run", DataTypes.StringType).add("method", DataTypes.StringType)
      .add("preset", DataTypes.StringType).add("base_model", DataTypes.StringType)
      .add("n_params", DataTypes.LongType).add("n_effective_params", DataTypes.LongType)
      .add("neuron_sparsity", DataTypes.DoubleType).add("residual_sparsity", DataTypes.DoubleType)
      .add("sparsity_lambda", DataTypes.DoubleType).add("teacher", DataTypes.StringType)
      .add("tokens_seen", DataTypes.LongType).add("flops", DataTypes.DoubleType)
      .add("final_train_loss", DataTypes.DoubleType).add("final_eval_loss", DataTypes.DoubleType)
      .add("global_step", DataTypes.LongType).add("max_steps", DataTypes.LongType)
      .add("wall_time_s", DataTypes.DoubleType).add("replicas", DataTypes.IntegerType)
      .add("precision", DataTypes.StringType).add("status", DataTypes.StringType);
  public static final StructType HISTORY = new StructType()
      .add("experiment", DataTypes.StringType).add("run", DataTypes.StringType)
      .add("train/global_step", DataTypes.LongType).add("train/loss", DataTypes.DoubleType)
      .add("train/learning_rate", DataTypes.DoubleType).add("train/epoch", DataTypes.DoubleType)
      .add("eval/loss", DataTypes.DoubleType);
  public static final StructType NEURON_NORMS = new StructType()
      .add("experiment", DataTypes.StringType).add("run", DataTypes.StringType)
      .add("step", DataTypes.LongType).add("quantile", DataTypes.DoubleType).add("norm", DataTypes.DoubleType);

  public static final long STEPS = 400;
  public static final long TOKENS_PER_STEP = 8 * 64;

  /** One run of the study: its row of {@code runs}, and the loss its curve falls to. */
  public record StudyRun(String experiment, String run, String method, long nParams, long nEffective,
      Double neuronSparsity, Double residualSparsity, double finalLoss) {}

  /** Three sizes from scratch, a distillation, attribution and random pruning at two shared sparsities and one random alone, group sparsity and its norm pruning. */
  public static final List<StudyRun> STUDY = List.of(
      new StudyRun("trainscratch01", "d16_l1_h2", "scratch", 20_000, 20_000, null, null, 5.2),
      new StudyRun("trainscratch01", "d32_l2_h2", "scratch", 80_000, 80_000, null, null, 4.4),
      new StudyRun("trainscratch01", "d64_l2_h2", "scratch", 300_000, 300_000, null, null, 3.7),
      new StudyRun("distillscratch00", "d64_l2_h2-d16_l1_h2", "distillation", 20_000, 20_000, null, null, 5.0),
      new StudyRun("pruneandtrain01", "n0.50_r0.20", "attribution", 300_000, 120_000, 0.5, 0.2, 4.1),
      new StudyRun("pruneandtrain01", "n0.25_r0.00", "attribution", 300_000, 220_000, 0.25, 0.0, 3.85),
      new StudyRun("pruneandtrainrandom00", "n0.50_r0.20", "random", 300_000, 120_000, 0.5, 0.2, 4.5),
      new StudyRun("pruneandtrainrandom00", "n0.25_r0.00", "random", 300_000, 220_000, 0.25, 0.0, 4.0),
      new StudyRun("pruneandtrainrandom00", "n0.75_r0.50", "random", 300_000, 50_000, 0.75, 0.5, 5.1),
      new StudyRun("tuneprune15-redo", "lambda_0.0005_bs_18_acc_6", "group_sparsity", 300_000, 300_000, null, null, 3.9),
      new StudyRun("normprune00", "n0.50_r0.20", "norm", 300_000, 120_000, 0.5, 0.2, 4.2));

  public static final double[] QUANTILES = {0.0, 0.25, 0.5, 0.75, 1.0};

  private StudyTables() {}

  public static void writeRuns(SparkSession spark, Path root, List<StudyRun> runs) {
    List<Row> rows = new ArrayList<>();
    for (StudyRun r : runs) {
      long tokens = STEPS * TOKENS_PER_STEP;
      rows.add(RowFactory.create(r.experiment(), r.run(), r.method(), r.method().equals("scratch") ? r.run() : null,
          r.method().equals("scratch") ? null : "trainscratch01/d64_l2_h2", r.nParams(), r.nEffective(),
          r.neuronSparsity(), r.residualSparsity(), r.method().equals("group_sparsity") ? 5e-4 : null,
          r.method().equals("distillation") ? "trainscratch01/d64_l2_h2" : null, tokens, 6.0 * r.nEffective() * tokens,
          r.finalLoss() - 0.05, r.finalLoss(), STEPS, STEPS, 12.5, 1, "float32", "done"));
    }
    write(spark, root, "runs", rows, RUNS);
  }

  /**
   * Each run's train loss every 10 steps, falling as a power law to its final loss with a wobble
   * the EMA smooths; an eval entry (no train loss) every 100 steps.
   */
  public static void writeHistory(SparkSession spark, Path root, List<StudyRun> runs) {
    List<Row> rows = new ArrayList<>();
    for (StudyRun r : runs) {
      for (long step = 10; step <= STEPS; step += 10) {
        double loss = r.finalLoss() + 6.0 * Math.pow(step / 10.0, -0.6) + 0.15 * Math.sin(step / 7.0);
        rows.add(RowFactory.create(r.experiment(), r.run(), step, loss, 1e-3 * (1 - (double) step / STEPS),
            (double) step / STEPS, null));
        if (step % 100 == 0) rows.add(RowFactory.create(r.experiment(), r.run(), step, null, null, null, loss + 0.1));
      }
    }
    write(spark, root, "history", rows, HISTORY);
  }

  /** The quantiles of a group-sparsity run's neuron norms: the low ones falling towards zero. */
  public static void writeNeuronNorms(SparkSession spark, Path root, List<StudyRun> runs) {
    List<Row> rows = new ArrayList<>();
    for (StudyRun r : runs) {
      if (!r.method().equals("group_sparsity")) continue;
      for (long step = 10; step <= STEPS; step += 10) {
        for (double q : QUANTILES) {
          rows.add(RowFactory.create(r.experiment(), r.run(), step, q, (0.05 + q) * Math.exp(-(1 - q) * step / 80.0)));
        }
      }
    }
    write(spark, root, "neuron_norms", rows, NEURON_NORMS);
  }

  public static void write(SparkSession spark, Path root, String table, List<Row> rows, StructType schema) {
    spark.createDataFrame(rows, schema).write().mode("overwrite").partitionBy("experiment")
        .parquet(root.resolve(MetricsTables.FOLDER).resolve(table).toString());
  }
}
