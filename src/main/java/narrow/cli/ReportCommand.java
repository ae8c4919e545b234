package narrow.cli;

import java.util.concurrent.Callable;
import narrow.report.Figure;
import narrow.report.MetricsTables;
import narrow.report.StudyReport;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** The study's figures and their index page, from the metrics tables of an output root. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Draw the study's figures (training frontier, attribution vs random recovery, loss curves, "
        + "neuron norms) as PNG and SVG from ROOT/_metrics/ into ROOT/_report/, with an index.html.")
final class ReportCommand implements Callable<Integer> {
  @Parameters(paramLabel = "ROOT", description = "the study's output root (local or s3a://), holding _metrics/")
  String root;

  @Mixin SparkOptions spark;

  @Override
  public Integer call() {
    MetricsTables.requireTables(root, spark.hadoopConfiguration());
    try (SparkSession session = spark.session("narrow report")) {
      print(StudyReport.write(session, root));
    }
    return 0;
  }

  static void print(StudyReport.Result r) {
    System.out.println("report: " + r.folder() + "/" + StudyReport.INDEX);
    for (Figure f : r.figures()) {
      if (f.isDrawn()) {
        System.out.println("  " + f.name() + ".png, .svg: " + f.title());
      } else {
        System.out.println("  skipped " + f.name() + ": " + f.skipped());
      }
    }
  }
}
