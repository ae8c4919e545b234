package narrow.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * {@code history}: one row per run and {@code log_history} entry, the keys named as Hugging Face's
 * tracker callbacks name them ({@code rewrite_logs}: {@code eval_X} → {@code eval/X}, any other
 * key → {@code train/X}), so the study's notebook code that read its tracker's frames runs on it.
 */
final class HistoryTable {
  static final String NAME = "history";
  static final String STEP = "train/global_step";

  private HistoryTable() {}

  /** The tracker's name of logged key {@code key}. */
  static String column(String key) {
    return key.startsWith("eval_") ? "eval/" + key.substring("eval_".length()) : "train/" + key;
  }

  static Table of(List<RunFiles> runs) {
    // the union of the runs' numeric keys: a run without a key has null in its column
    TreeSet<String> keys = new TreeSet<>();
    for (RunFiles r : runs) {
      if (r.state() == null) continue;
      for (Map<String, Object> e : r.state().logHistory()) {
        e.forEach((k, v) -> {
          if (!k.equals("step") && v instanceof Number) keys.add(k);
        });
      }
    }
    List<StructField> fields = new ArrayList<>(List.of(
        DataTypes.createStructField("experiment", DataTypes.StringType, false),
        DataTypes.createStructField("run", DataTypes.StringType, false),
        DataTypes.createStructField(STEP, DataTypes.LongType, true)));
    for (String k : keys) fields.add(DataTypes.createStructField(column(k), DataTypes.DoubleType, true));

    List<Row> rows = new ArrayList<>();
    for (RunFiles r : runs) {
      if (r.state() == null) continue;
      // stable: entries of one step (the log, the evaluation, the end summary) keep their order
      List<Map<String, Object>> entries = new ArrayList<>(r.state().logHistory());
      entries.sort(java.util.Comparator.comparingLong(HistoryTable::step));
      for (Map<String, Object> e : entries) {
        Object[] values = new Object[fields.size()];
        values[0] = r.experiment();
        values[1] = r.run();
        values[2] = e.get("step") instanceof Number n ? n.longValue() : null;
        int i = 3;
        for (String k : keys) values[i++] = e.get(k) instanceof Number n ? n.doubleValue() : null;
        rows.add(RowFactory.create(values));
      }
    }
    return new Table(NAME, DataTypes.createStructType(fields), rows);
  }

  private static long step(Map<String, Object> entry) {
    return entry.get("step") instanceof Number n ? n.longValue() : Long.MIN_VALUE;
  }
}
