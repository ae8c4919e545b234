package narrow.cli;

import java.io.IOException;
import java.util.concurrent.Callable;
import narrow.metrics.StudyMetrics;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** Rebuilds a study's metrics tables from its run folders; one line per table. */
@Command(name = "metrics", mixinStandardHelpOptions = true,
    description = "Rebuild the study's Parquet tables (history, runs, pruning, neuron_norms; partitioned by "
        + "experiment) under ROOT/_metrics/ from the run folders ROOT/<experiment>/<run>/, replacing the old ones whole.")
final class MetricsCommand implements Callable<Integer> {
  @Parameters(paramLabel = "ROOT", description = "the study's output root: a local folder or s3a://bucket/path")
  String root;

  @Mixin SparkOptions spark;

  @Override
  public Integer call() throws IOException {
    // the run folders first: a root without runs, or a damaged file, is reported before Spark starts
    StudyMetrics.Study study = StudyMetrics.read(root, spark.hadoopConfiguration());
    StudyMetrics.Result r;
    try (SparkSession session = spark.session("narrow metrics")) {
      r = StudyMetrics.write(session, study);
    }
    for (String table : StudyMetrics.TABLES) {
      System.out.printf("%s: %d rows, %s%n", table, r.rows().get(table), r.table(table));
    }
    return 0;
  }
}
