package narrow.cli;

import narrow.metrics.StudyMetrics;
import narrow.report.StudyReport;
import narrow.study.AfterEachRun;
import narrow.study.RunOutcome;
import narrow.study.SharedSpark;
import narrow.util.UserError;

/**
 * What {@code narrow run} keeps in step with the run folders of a study's tree: its metrics tables,
 * rebuilt after every run (so they never disagree with the files), and its report, drawn at the end.
 * A study without output_root has no tree to tabulate. A table or figure that cannot be made is
 * said and the grid goes on: the runs matter more than their summaries.
 */
final class StudyRefresh implements AfterEachRun {
  private final SharedSpark spark;
  private String root;

  StudyRefresh(SharedSpark spark) {
    this.spark = spark;
  }

  @Override
  public void after(String outputRoot, RunOutcome outcome) throws java.io.IOException {
    if (outputRoot == null) return;
    root = outputRoot;
    try {
      StudyMetrics.Result r = StudyMetrics.rebuild(spark.session("narrow metrics"), root);
      System.out.printf("narrow run: metrics tables rebuilt under %s (%,d history rows, %,d runs)%n",
          r.location(), r.rows().get("history"), r.rows().get("runs"));
    } catch (UserError e) {
      System.err.println("narrow run: the metrics tables were not rebuilt: " + e.getMessage());
    }
  }

  /** Draws the report of the study the runs wrote into; nothing when none had an output_root. */
  void report() {
    if (root == null) return;
    try {
      ReportCommand.print(StudyReport.write(spark.session("narrow report"), root));
    } catch (UserError e) {
      System.err.println("narrow run: the report was not drawn: " + e.getMessage());
    }
  }
}
