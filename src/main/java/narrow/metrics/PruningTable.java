package narrow.metrics;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import narrow.prune.PruningSelection;
import narrow.prune.PruningStats;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code pruning}: one row per prunable unit of each pruning run (every MLP neuron of every layer,
 * then every residual dimension), its score ({@code pruning_stats.json}'s; null for a random
 * selection, which has none) and whether it was pruned.
 */
final class PruningTable {
  static final String NAME = "pruning";
  static final StructType SCHEMA = Table.schema(
      "experiment", DataTypes.StringType, "run", DataTypes.StringType, "kind", DataTypes.StringType,
      "layer", DataTypes.IntegerType, "index", DataTypes.IntegerType, "score", DataTypes.DoubleType,
      "pruned", DataTypes.BooleanType);

  private PruningTable() {}

  static Table of(List<RunFiles> runs) {
    List<Row> rows = new ArrayList<>();
    for (RunFiles r : runs) {
      PruningStats.Contents p = r.pruning();
      if (p == null) continue;
      PruningSelection s = p.selection();
      int layers = p.neuronScores() != null ? p.neuronScores().length
          : r.config() != null ? r.config().numHiddenLayers() : 0;
      // without scores or a config (a random run that saved no checkpoint) the layers are unknown
      int perLayer = layers == 0 ? 0 : s.totalNeurons() / layers;
      Set<PruningSelection.Neuron> prunedNeurons = new HashSet<>(s.neurons());
      for (int l = 0; l < layers; l++) {
        for (int i = 0; i < perLayer; i++) {
          Double score = p.neuronScores() == null ? null : p.neuronScores()[l][i];
          rows.add(RowFactory.create(r.experiment(), r.run(), "neuron", l, i, score,
              prunedNeurons.contains(new PruningSelection.Neuron(l, i))));
        }
      }
      Set<Integer> prunedResiduals = new HashSet<>(s.residuals());
      for (int i = 0; i < s.totalResiduals(); i++) {
        Double score = p.residualScores() == null ? null : p.residualScores()[i];
        rows.add(RowFactory.create(r.experiment(), r.run(), "residual", null, i, score, prunedResiduals.contains(i)));
      }
    }
    return new Table(NAME, SCHEMA, rows);
  }
}
