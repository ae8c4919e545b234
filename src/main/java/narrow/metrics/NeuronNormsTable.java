package narrow.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code neuron_norms}: the quantiles of the MLP neurons' group norms a group-sparsity run logs at
 * each logging step ({@code neuron_norm_q0.5} and so on), one row per step and quantile: how the
 * penalty drives the norms apart over training.
 */
final class NeuronNormsTable {
  static final String NAME = "neuron_norms";
  static final String PREFIX = "neuron_norm_q";
  static final StructType SCHEMA = Table.schema(
      "experiment", DataTypes.StringType, "run", DataTypes.StringType, "step", DataTypes.LongType,
      "quantile", DataTypes.DoubleType, "norm", DataTypes.DoubleType);

  private NeuronNormsTable() {}

  static Table of(List<RunFiles> runs) {
    List<Row> rows = new ArrayList<>();
    for (RunFiles r : runs) {
      if (r.state() == null) continue;
      for (Map<String, Object> e : r.state().logHistory()) {
        if (!(e.get("step") instanceof Number step)) continue;
        for (Map.Entry<String, Object> kv : e.entrySet()) {
          if (kv.getKey().startsWith(PREFIX) && kv.getValue() instanceof Number norm) {
            double quantile = Double.parseDouble(kv.getKey().substring(PREFIX.length()));
            rows.add(RowFactory.create(r.experiment(), r.run(), step.longValue(), quantile, norm.doubleValue()));
          }
        }
      }
    }
    return new Table(NAME, SCHEMA, rows);
  }
}
