package narrow.metrics;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import narrow.util.OutputFolder;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * {@code <root>/_metrics/}: the tables written by Spark into a staging folder and committed
 * together by {@link OutputFolder}, so a reader sees the old set or the new one, never half a
 * table or tables of two builds; a build that fails leaves the old set as it was.
 */
final class MetricsFolder {
  static final String NAME = "_metrics";

  private MetricsFolder() {}

  /** Writes {@code tables} in place of the folder's; returns each one's rows, by name. */
  static Map<String, Long> replace(SparkSession spark, FileSystem fs, Path target, List<Table> tables)
      throws IOException {
    Map<String, Long> counts = new LinkedHashMap<>();
    try (OutputFolder out = OutputFolder.stageBesideTarget(fs, target, true)) {
      for (Table t : tables) {
        write(spark, t, new Path(out.staging(), t.name()).toString());
        counts.put(t.name(), (long) t.rows().size());
      }
      out.commit();
    }
    return counts;
  }

  /**
   * One table, partitioned by experiment, one file per experiment with the rows in the table's
   * order; an empty table is one file holding the schema alone, so that readers still find its
   * columns.
   */
  private static void write(SparkSession spark, Table t, String location) {
    Dataset<Row> df = spark.createDataFrame(t.rows(), t.schema()).coalesce(1);
    if (t.rows().isEmpty()) {
      df.write().mode(SaveMode.Overwrite).parquet(location);
      return;
    }
    // a position column keeps the table's order through the writer's sort by partition
    Dataset<Row> ordered = df.withColumn("_order", org.apache.spark.sql.functions.monotonically_increasing_id())
        .sortWithinPartitions("experiment", "_order").drop("_order");
    ordered.write().mode(SaveMode.Overwrite).partitionBy("experiment").parquet(location);
  }
}
