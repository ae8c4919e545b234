package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import narrow.report.StudyTables;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code narrow report ROOT} as a user runs it: its own local Spark session, real Parquet tables. */
@narrow.Slow
class ReportCommandTest {
  @TempDir Path root;

  @Test
  void printsTheIndexAndEachFigureItWrote() throws Exception {
    SparkSession spark = SparkSession.builder().master("local[2]").appName("ReportCommandTest")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    try {
      StudyTables.writeRuns(spark, root, StudyTables.STUDY.subList(0, 3));
      StudyTables.writeHistory(spark, root, StudyTables.STUDY.subList(0, 3));
    } finally {
      spark.stop();   // the command starts its own, as under jobs/narrow
    }
    CliTest.Run r = CliTest.narrow("report", root.toString());
    assertEquals(0, r.exit(), r.err());
    String report = "file:" + root.resolve("_report");
    assertTrue(r.out().startsWith("report: " + report + "/index.html\n"), r.out());
    for (String line : new String[] {
        "  frontier_params.png, .svg: Training frontier: eval loss against model size",
        "  frontier_flops.png, .svg: Training frontier: eval loss against training compute",
        "  loss_trainscratch01.png, .svg: Train loss by run: trainscratch01",
        "  skipped recovery_attribution_vs_random: no sparsity (neuron_sparsity, residual_sparsity) has both an "
            + "attribution and a random run with train/loss in the history table",
        "  skipped neuron_norms: the table neuron_norms is missing (only group-sparsity runs log neuron norms)"}) {
      assertTrue(r.out().contains("\n" + line + "\n"), line + " in:\n" + r.out());
    }
    assertTrue(Files.isRegularFile(root.resolve("_report/loss_trainscratch01.svg")));
  }

  @Test
  void aRootWithoutTablesOrNoRootAtAllIsOneLineThatSaysWhatToDo() {
    CliTest.Run noTables = CliTest.narrow("report", root.toString());
    assertEquals(2, noTables.exit(), noTables.err());
    assertEquals("narrow report: " + root.resolve("_metrics/runs") + ": no runs table; write the study's tables "
        + "first with `narrow metrics " + root + "`\n", noTables.err());

    Path missing = root.resolve("nope");
    CliTest.Run noRoot = CliTest.narrow("report", missing.toString());
    assertEquals(2, noRoot.exit(), noRoot.err());
    assertEquals("narrow report: " + missing + ": no such folder; give the study's output root (the folder of "
        + "its experiments)\n", noRoot.err());
  }
}
