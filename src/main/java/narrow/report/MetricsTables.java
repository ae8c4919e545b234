package narrow.report;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import narrow.util.Locations;
import narrow.util.ObjectStores;
import narrow.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;

/**
 * The study's metrics tables under {@code <root>/_metrics/} (their schemas are the contract
 * between {@code narrow metrics}, {@code narrow report} and the notebooks), read with Spark and
 * collected into what the figures draw. A table that is missing or has no rows is empty here, and
 * {@link #absent} says why, for the index to tell.
 *
 * @param trainLoss each run's {@code train/loss} against {@code train/global_step}, the rows without
 *     a train loss (eval entries, the end summary) left out as the study's tracker query does
 * @param neuronNorms per run ({@link RunInfo#key}), one curve per quantile
 * @param absent table name → why it has no rows
 */
public record MetricsTables(List<RunInfo> runs, RunsTable runsTable, List<Curve> trainLoss,
    Map<String, List<Curve>> neuronNorms, Map<String, String> absent) {

  public static final String FOLDER = "_metrics";
  static final String STEP = "train/global_step";
  static final String LOSS = "train/loss";

  /** {@code <root>/_metrics}, spelled as {@code root} is. */
  public static String folder(String root) {
    return Locations.child(root, FOLDER);
  }

  /**
   * Fails unless {@code root} has a {@code _metrics/runs} table: checked before a Spark session is
   * started, so a wrong root costs no start-up.
   */
  public static void requireTables(String root, Configuration conf) {
    String runs = Locations.child(folder(root), "runs");
    try {
      Path path = Locations.hadoopPath(runs);
      FileSystem fs = ObjectStores.fileSystem(path, runs, conf);
      if (!fs.exists(Locations.hadoopPath(root))) {
        throw new UserError(root + ": no such folder; give the study's output root (the folder of its experiments)");
      }
      if (!fs.exists(path)) {
        throw new UserError(runs + ": no runs table; write the study's tables first with `narrow metrics " + root + "`");
      }
    } catch (IOException e) {
      throw new UserError("cannot read " + runs + ": " + e.getMessage(), e);
    }
  }

  /** Reads the four tables of {@code root}. */
  public static MetricsTables read(SparkSession spark, String root) {
    Map<String, String> absent = new LinkedHashMap<>();
    Dataset<Row> runs = table(spark, root, "runs", absent);
    if (runs == null) {
      throw new UserError(Locations.child(folder(root), "runs") + ": " + absent.get("runs")
          + "; write the study's tables first with `narrow metrics " + root + "`");
    }
    Dataset<Row> history = table(spark, root, "history", absent);
    Dataset<Row> norms = table(spark, root, "neuron_norms", absent);
    return new MetricsTables(runInfos(runs, root), runsTable(runs), trainLoss(history, root),
        neuronNorms(norms, root), absent);
  }

  /** The table, or null (with the reason in {@code absent}) when it is missing or has no rows. */
  private static Dataset<Row> table(SparkSession spark, String root, String name, Map<String, String> absent) {
    String location = Locations.child(folder(root), name);
    Path path = Locations.hadoopPath(location);
    try {
      FileSystem fs = ObjectStores.fileSystem(path, location, spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(path)) {
        absent.put(name, "the table " + name + " is missing");
        return null;
      }
      if (!hasData(fs, path)) {
        absent.put(name, "the table " + name + " has no rows");
        return null;
      }
    } catch (IOException e) {
      throw new UserError("cannot read " + location + ": " + e.getMessage(), e);
    }
    Dataset<Row> t;
    try {
      t = spark.read().parquet(path.toString());
    } catch (Exception e) {
      // Spark throws its checked AnalysisException undeclared: javac sees only Exception here
      if (e instanceof RuntimeException && !(e instanceof AnalysisException)) throw (RuntimeException) e;
      throw new UserError(location + " is not a Parquet table Spark can read (" + e.getMessage()
          + "); rebuild the tables with `narrow metrics " + root + "`", e);
    }
    if (t.isEmpty()) {
      absent.put(name, "the table " + name + " has no rows");
      return null;
    }
    return t;
  }

  /** Whether a Parquet file lies anywhere under {@code dir} (an empty table's folder has none). */
  private static boolean hasData(FileSystem fs, Path dir) throws IOException {
    for (FileStatus s : fs.listStatus(dir)) {
      String name = s.getPath().getName();
      if (name.startsWith("_") || name.startsWith(".")) continue;
      if (s.isDirectory() ? hasData(fs, s.getPath()) : name.endsWith(".parquet")) return true;
    }
    return false;
  }

  private static void require(Dataset<Row> t, String table, String root, String... columns) {
    List<String> have = Arrays.asList(t.columns());
    for (String c : columns) {
      if (!have.contains(c)) {
        throw new UserError(Locations.child(folder(root), table) + " has no column '" + c + "', which the "
            + "metrics tables' contract gives it; rebuild the tables with `narrow metrics " + root + "`");
      }
    }
  }

  private static Column named(String c) {
    return col("`" + c + "`");
  }

  /** Column {@code c} as {@code type}, keeping its name (a cast would rename it). */
  private static Column typed(String c, String type) {
    return named(c).cast(type).as(c);
  }

  private static double orNaN(Row r, int i) {
    return r.isNullAt(i) ? Double.NaN : r.getDouble(i);
  }

  private static List<RunInfo> runInfos(Dataset<Row> runs, String root) {
    String[] text = {"experiment", "run", "method"};
    String[] numbers = {"n_effective_params", "neuron_sparsity", "residual_sparsity", "flops", "final_eval_loss"};
    require(runs, "runs", root, text);
    require(runs, "runs", root, numbers);
    List<Column> select = new ArrayList<>();
    for (String c : text) select.add(typed(c, "string"));
    for (String c : numbers) select.add(typed(c, "double"));
    List<RunInfo> out = new ArrayList<>();
    for (Row r : runs.select(select.toArray(Column[]::new)).orderBy(named("experiment"), named("run")).collectAsList()) {
      out.add(new RunInfo(r.getString(0), r.getString(1), r.getString(2), orNaN(r, 3), orNaN(r, 4),
          orNaN(r, 5), orNaN(r, 6), orNaN(r, 7)));
    }
    return out;
  }

  private static RunsTable runsTable(Dataset<Row> runs) {
    List<String> columns = new ArrayList<>();
    // the run's name first, as the notebooks' frames index it; the rest in the table's order
    columns.add("experiment");
    columns.add("run");
    for (StructField f : runs.schema().fields()) {
      if (!columns.contains(f.name())) columns.add(f.name());
    }
    List<List<String>> rows = new ArrayList<>();
    for (Row r : runs.select(columns.stream().map(MetricsTables::named).toArray(Column[]::new))
        .orderBy(named("experiment"), named("run")).collectAsList()) {
      List<String> cells = new ArrayList<>();
      for (int i = 0; i < columns.size(); i++) cells.add(cell(r.get(i)));
      rows.add(cells);
    }
    return new RunsTable(columns, rows);
  }

  private static String cell(Object v) {
    if (v == null) return "";
    if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      return Double.isNaN(d) ? "NaN" : String.format(java.util.Locale.ROOT, "%.4g", d);
    }
    return v.toString();
  }

  private static List<Curve> trainLoss(Dataset<Row> history, String root) {
    if (history == null) return List.of();
    require(history, "history", root, "experiment", "run", STEP, LOSS);
    List<Row> rows = history
        .select(typed("experiment", "string"), typed("run", "string"), typed(STEP, "double"),
            typed(LOSS, "double"))
        .where(named(LOSS).isNotNull().and(named(STEP).isNotNull()))
        .orderBy(named("experiment"), named("run"), named(STEP)).collectAsList();
    List<Curve> out = new ArrayList<>();
    int from = 0;
    for (int i = 1; i <= rows.size(); i++) {
      if (i == rows.size() || !sameRun(rows.get(i), rows.get(from))) {
        List<Row> run = rows.subList(from, i);
        out.add(new Curve(run.get(0).getString(0), run.get(0).getString(1), LOSS,
            run.stream().mapToDouble(r -> r.getDouble(2)).toArray(),
            run.stream().mapToDouble(r -> r.getDouble(3)).toArray()));
        from = i;
      }
    }
    return out;
  }

  private static boolean sameRun(Row a, Row b) {
    return a.getString(0).equals(b.getString(0)) && a.getString(1).equals(b.getString(1));
  }

  private static Map<String, List<Curve>> neuronNorms(Dataset<Row> norms, String root) {
    Map<String, List<Curve>> out = new LinkedHashMap<>();
    if (norms == null) return out;
    require(norms, "neuron_norms", root, "experiment", "run", "step", "quantile", "norm");
    List<Row> rows = norms
        .select(typed("experiment", "string"), typed("run", "string"), typed("quantile", "double"),
            typed("step", "double"), typed("norm", "double"))
        .where(named("norm").isNotNull())
        .orderBy(named("experiment"), named("run"), named("quantile"), named("step")).collectAsList();
    Map<String, Map<Double, List<Row>>> byRun = new LinkedHashMap<>();
    for (Row r : rows) {
      byRun.computeIfAbsent(r.getString(0) + "/" + r.getString(1), k -> new TreeMap<>())
          .computeIfAbsent(r.getDouble(2), k -> new ArrayList<>()).add(r);
    }
    byRun.forEach((key, quantiles) -> {
      List<Curve> curves = new ArrayList<>();
      quantiles.forEach((q, qs) -> curves.add(new Curve(qs.get(0).getString(0), qs.get(0).getString(1),
          String.format(java.util.Locale.ROOT, "q = %.2f", q),
          qs.stream().mapToDouble(r -> r.getDouble(3)).toArray(),
          qs.stream().mapToDouble(r -> r.getDouble(4)).toArray())));
      out.put(key, curves);
    });
    return out;
  }
}
