package narrow.metrics;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import narrow.util.Locations;
import narrow.util.ObjectStores;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The study's metrics tables, rebuilt from its run folders: {@code narrow metrics ROOT}, and the
 * runner after each run.
 *
 * <pre>{@code
 * StudyMetrics.Result r = StudyMetrics.rebuild(spark, "s3a://bucket/study");
 * r.rows().get("history");   // rows written; tables under r.location()
 * }</pre>
 */
public final class StudyMetrics {
  /** The tables' names, in the order they are written. */
  public static final List<String> TABLES =
      List.of(HistoryTable.NAME, RunsTable.NAME, PruningTable.NAME, NeuronNormsTable.NAME);

  private StudyMetrics() {}

  /**
   * What a rebuild wrote.
   *
   * @param location {@code <root>/_metrics}, spelled as the root is
   * @param rows each table's rows, in {@link #TABLES} order
   */
  public record Result(String location, Map<String, Long> rows) {
    /** Where table {@code name} is. */
    public String table(String name) {
      return Locations.child(location, name);
    }
  }

  /** The run folders of a study, read: what the tables are made of. */
  public record Study(String root, List<RunFiles> runs) {}

  /**
   * Reads every run folder under {@code root} (a local path or a URI {@code conf} reaches).
   *
   * @throws narrow.util.UserError when the root does not exist, holds no run, or a run's file
   *     cannot be read (naming it)
   */
  public static Study read(String root, Configuration conf) throws IOException {
    String expanded = Locations.expanded(root);
    FileSystem fs = ObjectStores.fileSystem(Locations.hadoopPath(expanded), expanded, conf);
    List<RunFiles> runs = new ArrayList<>();
    for (StudyTree.RunLocation run : StudyTree.runs(fs, expanded)) runs.add(RunFiles.read(run, fs, conf));
    return new Study(expanded, runs);
  }

  /** Writes the tables of {@code study} in place of those under its root's {@code _metrics/}. */
  public static Result write(SparkSession spark, Study study) throws IOException {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String location = Locations.child(study.root(), MetricsFolder.NAME);
    Path target = Locations.hadoopPath(location);
    FileSystem fs = ObjectStores.fileSystem(target, location, conf);
    List<Table> tables = List.of(HistoryTable.of(study.runs()), RunsTable.of(study.runs()),
        PruningTable.of(study.runs()), NeuronNormsTable.of(study.runs()));
    return new Result(location, MetricsFolder.replace(spark, fs, fs.makeQualified(target), tables));
  }

  /** Reads the run folders under {@code root} and writes their tables: the runner's call after each run. */
  public static Result rebuild(SparkSession spark, String root) throws IOException {
    return write(spark, read(root, spark.sparkContext().hadoopConfiguration()));
  }
}
