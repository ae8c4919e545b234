package narrow.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import narrow.model.ModelStats;
import narrow.prune.PruningMask;
import narrow.prune.PruningStats;
import narrow.train.TrainerState;
import narrow.util.Locations;
import narrow.util.UserError;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code runs}: one row per run, what the study's frontier plots need: the method, where the model
 * came from, its parameters before and after the mask, tokens and FLOPs, final losses, and the
 * run's state. A fact the run folder does not hold is null.
 */
final class RunsTable {
  static final String NAME = "runs";
  static final StructType SCHEMA = Table.schema(
      "experiment", DataTypes.StringType, "run", DataTypes.StringType, "method", DataTypes.StringType,
      "preset", DataTypes.StringType, "base_model", DataTypes.StringType,
      "n_params", DataTypes.LongType, "n_effective_params", DataTypes.LongType,
      "neuron_sparsity", DataTypes.DoubleType, "residual_sparsity", DataTypes.DoubleType,
      "sparsity_lambda", DataTypes.DoubleType, "teacher", DataTypes.StringType,
      "tokens_seen", DataTypes.LongType, "flops", DataTypes.DoubleType,
      "final_train_loss", DataTypes.DoubleType, "final_eval_loss", DataTypes.DoubleType,
      "global_step", DataTypes.LongType, "max_steps", DataTypes.LongType, "wall_time_s", DataTypes.DoubleType,
      "replicas", DataTypes.IntegerType, "precision", DataTypes.StringType, "status", DataTypes.StringType);

  private RunsTable() {}

  static Table of(List<RunFiles> runs) {
    List<Row> rows = new ArrayList<>();
    for (RunFiles r : runs) rows.add(row(r));
    return new Table(NAME, SCHEMA, rows);
  }

  private static Row row(RunFiles r) {
    JsonNode stats = r.modelStats();
    JsonNode meta = r.metadata();
    TrainerState s = r.state();
    Long nParams = longOf(stats, "n_params");
    Long effective = r.pruning() == null ? nParams : effectiveParams(r);
    Long tokens = s == null ? null : s.numInputTokensSeen();
    Double flops = effective == null || tokens == null ? null : 6.0 * effective * tokens;
    return RowFactory.create(r.experiment(), r.run(), method(r), text(stats, ModelStats.PRESET),
        text(stats, ModelStats.BASE_MODEL), nParams, effective,
        doubleOf(meta, "neuron_sparsity"), doubleOf(meta, "residual_sparsity"), doubleOf(meta, "sparsity_lambda"),
        text(meta, "teacher"), tokens, flops, last(s, "loss"), last(s, "eval_loss"),
        s == null ? null : s.globalStep(), s == null ? null : s.maxSteps(), last(s, "train_runtime"),
        stats != null && stats.hasNonNull(ModelStats.REPLICAS) ? stats.get(ModelStats.REPLICAS).asInt() : null,
        precision(r), r.status());
  }

  /**
   * What made the model: the experiment_metadata.json a sparsity or distillation run writes says
   * so, a pruning run's names its method; a run without one trained the model as it was.
   */
  private static String method(RunFiles r) {
    JsonNode meta = r.metadata();
    String type = text(meta, "experiment_type");
    if (type != null) return type;
    String pruning = text(meta, "method");
    if (pruning != null) return pruning;
    return r.pruning() == null ? "scratch" : null;
  }

  /** The parameters the mask leaves, counted from the pruned units and the run's config. */
  private static Long effectiveParams(RunFiles r) {
    if (r.config() == null) return null;
    PruningStats.Contents p = r.pruning();
    try {
      return PruningMask.of(p.selection(), r.config()).kept();
    } catch (IllegalArgumentException e) {
      throw new UserError(Locations.child(r.where().location(), PruningStats.FILE) + " does not fit the run's "
          + "config.json: " + e.getMessage() + "; the pruning stats belong to another model", e);
    }
  }

  private static String precision(RunFiles r) {
    if (r.args() == null || r.args().bf16() == null) return null;
    return r.args().bf16() ? "bf16" : "float32";
  }

  /** The value of {@code key} in the last log entry that has it, or null. */
  private static Double last(TrainerState s, String key) {
    if (s == null) return null;
    List<Map<String, Object>> with = s.entriesWith(key);
    return with.isEmpty() || !(with.get(with.size() - 1).get(key) instanceof Number n) ? null : n.doubleValue();
  }

  private static String text(JsonNode node, String key) {
    return node != null && node.hasNonNull(key) ? node.get(key).asText() : null;
  }

  private static Long longOf(JsonNode node, String key) {
    return node != null && node.hasNonNull(key) ? node.get(key).asLong() : null;
  }

  private static Double doubleOf(JsonNode node, String key) {
    return node != null && node.hasNonNull(key) && node.get(key).isNumber() ? node.get(key).asDouble() : null;
  }
}
