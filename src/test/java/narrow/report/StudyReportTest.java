package narrow.report;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import narrow.util.UserError;
import org.apache.spark.sql.SparkSession;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYDataset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/** The report of a small study's tables, written by real Spark as Parquet with the contract's schemas. */
@narrow.Slow
class StudyReportTest {
  static SparkSession spark;
  @TempDir Path root;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("StudyReportTest")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private StudyReport.Result studyReport() {
    StudyTables.writeRuns(spark, root, StudyTables.STUDY);
    StudyTables.writeHistory(spark, root, StudyTables.STUDY);
    StudyTables.writeNeuronNorms(spark, root, StudyTables.STUDY);
    return StudyReport.write(spark, root.toString());
  }

  private static Map<String, Figure> byName(List<Figure> figures) {
    return figures.stream().collect(Collectors.toMap(Figure::name, Function.identity()));
  }

  @Test
  void drawsEveryFigureAsPngAndSvgWithAnIndexOfFiguresAndRuns() throws Exception {
    StudyReport.Result result = studyReport();
    Path folder = root.resolve(StudyReport.FOLDER);
    assertEquals("file:" + folder, result.folder());
    Map<String, Figure> figures = byName(result.figures());
    assertEquals(List.of("frontier_params", "frontier_flops", "recovery_attribution_vs_random",
            "loss_distillscratch00", "loss_normprune00", "loss_pruneandtrain01", "loss_pruneandtrainrandom00",
            "loss_trainscratch01", "loss_tuneprune15-redo", "neuron_norms_tuneprune15-redo_lambda_0.0005_bs_18_acc_6"),
        result.figures().stream().map(Figure::name).toList());
    assertTrue(result.figures().stream().allMatch(Figure::isDrawn), "every figure has data");

    DocumentBuilderFactory xml = DocumentBuilderFactory.newInstance();
    // the SVG names its DTD on the web: parse offline, as a test must
    xml.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
    for (Figure f : result.figures()) {
      BufferedImage png = ImageIO.read(folder.resolve(f.name() + ".png").toFile());
      assertNotNull(png, f.name() + ".png decodes");
      assertEquals(List.of(FigureFiles.WIDTH, FigureFiles.HEIGHT), List.of(png.getWidth(), png.getHeight()), f.name());
      Document svg = xml.newDocumentBuilder().parse(folder.resolve(f.name() + ".svg").toFile());
      XYDataset data = f.chart().getXYPlot().getDataset();
      for (int s = 0; s < data.getSeriesCount(); s++) {
        assertTrue(data.getItemCount(s) > 0, f.name() + ": series " + data.getSeriesKey(s) + " has points");
        Color c = (Color) f.chart().getXYPlot().getRenderer().getSeriesPaint(s);
        assertTrue(drawsSeries(svg, c, data.getItemCount(s)), f.name() + ".svg draws series " + data.getSeriesKey(s) + " in " + c);
      }
    }

    String index = Files.readString(folder.resolve(StudyReport.INDEX));
    for (Figure f : result.figures()) {
      assertTrue(index.contains("<img src=\"" + f.name() + ".png\"") && index.contains("href=\"" + f.name() + ".svg\""),
          "index shows " + f.name());
    }
    for (StudyTables.StudyRun r : StudyTables.STUDY) {
      assertTrue(index.contains("<td>" + r.experiment() + "</td><td>" + r.run() + "</td>"), "index lists " + r);
    }
    assertFalse(index.contains("Not drawn"), "nothing skipped");
    assertFalse(index.matches("(?s).*(src|href)=\"(https?:)?//.*"), "nothing fetched from elsewhere");
    assertTrue(Files.exists(folder.resolve("_SUCCESS")), "committed whole");
  }

  @Test
  void theFrontierHasOneLogLogSeriesPerMethodInSizeOrder() {
    Map<String, Figure> figures = byName(studyReport().figures());
    for (String name : List.of("frontier_params", "frontier_flops")) {
      XYPlot plot = figures.get(name).chart().getXYPlot();
      assertInstanceOf(LogAxis.class, plot.getDomainAxis(), name);
      assertInstanceOf(LogAxis.class, plot.getRangeAxis(), name);
      XYDataset data = plot.getDataset();
      assertEquals(List.of("from scratch", "distillation", "attribution pruning + recovery", "random pruning + recovery",
          "group-sparsity training", "group sparsity + norm pruning + recovery"), keys(data), name);
      assertEquals(List.of(3, 1, 2, 3, 1, 1), counts(data), name);
    }
    XYDataset params = figures.get("frontier_params").chart().getXYPlot().getDataset();
    assertEquals(List.of(20_000.0, 80_000.0, 300_000.0), List.of(params.getXValue(0, 0), params.getXValue(0, 1), params.getXValue(0, 2)));
    assertEquals(3.7, params.getYValue(0, 2), 0, "the largest model's final eval loss");
    double tokens = StudyTables.STEPS * StudyTables.TOKENS_PER_STEP;
    assertEquals(6 * 20_000 * tokens, figures.get("frontier_flops").chart().getXYPlot().getDataset().getXValue(0, 0), 1);
  }

  @Test
  void recoveryComparesAttributionSolidWithRandomDashedAtTheSharedSparsitiesOnly() {
    Figure recovery = byName(studyReport().figures()).get(RecoveryFigure.NAME);
    XYPlot plot = recovery.chart().getXYPlot();
    assertInstanceOf(LogAxis.class, plot.getDomainAxis());
    assertInstanceOf(LogAxis.class, plot.getRangeAxis());
    assertEquals(List.of("attribution n0.25 r0.00", "random n0.25 r0.00", "attribution n0.50 r0.20", "random n0.50 r0.20"),
        keys(plot.getDataset()), "n0.75 r0.50 has a random run only");
    for (int s = 0; s < 4; s++) {
      boolean dashed = ((BasicStroke) plot.getRenderer().getSeriesStroke(s)).getDashArray() != null;
      assertEquals(s % 2 == 1, dashed, plot.getDataset().getSeriesKey(s) + ": random dashed, attribution solid");
    }
    assertEquals(plot.getRenderer().getSeriesPaint(0), plot.getRenderer().getSeriesPaint(1), "one colour per sparsity");
    assertNotEquals(plot.getRenderer().getSeriesPaint(0), plot.getRenderer().getSeriesPaint(2));
  }

  @Test
  void lossCurvesAreTheEmaOfTrainLossColouredBySize() {
    Figure loss = byName(studyReport().figures()).get("loss_trainscratch01");
    XYPlot plot = loss.chart().getXYPlot();
    assertInstanceOf(LogAxis.class, plot.getDomainAxis());
    assertInstanceOf(LogAxis.class, plot.getRangeAxis());
    XYDataset data = plot.getDataset();
    assertEquals(List.of("d16_l1_h2 (20K params)", "d32_l2_h2 (80K params)", "d64_l2_h2 (300K params)"), keys(data));
    assertEquals(Viridis.at(0), plot.getRenderer().getSeriesPaint(0), "smallest");
    assertEquals(Viridis.bySize(80_000, 20_000, 300_000), plot.getRenderer().getSeriesPaint(1));
    assertEquals(Viridis.at(1), plot.getRenderer().getSeriesPaint(2), "largest");

    // the eval rows (no train/loss) left out; each point the EMA of the train losses up to it
    StudyTables.StudyRun small = StudyTables.STUDY.get(0);
    int n = (int) (StudyTables.STEPS / 10);
    double[] raw = new double[n];
    for (int i = 0; i < n; i++) {
      double step = 10 * (i + 1);
      raw[i] = small.finalLoss() + 6.0 * Math.pow(step / 10.0, -0.6) + 0.15 * Math.sin(step / 7.0);
    }
    assertEquals(n, data.getItemCount(0));
    assertEquals(StudyTables.STEPS, data.getXValue(0, n - 1));
    assertEquals(Ema.of(raw, 0.01)[n - 1], data.getYValue(0, n - 1), 1e-9);
  }

  @Test
  void neuronNormsAreOneLineAQuantileOnALogScale() {
    Figure norms = byName(studyReport().figures()).get("neuron_norms_tuneprune15-redo_lambda_0.0005_bs_18_acc_6");
    XYPlot plot = norms.chart().getXYPlot();
    assertInstanceOf(NumberAxis.class, plot.getDomainAxis(), "steps on a linear axis");
    assertInstanceOf(LogAxis.class, plot.getRangeAxis());
    assertEquals(List.of("q = 0.00", "q = 0.25", "q = 0.50", "q = 0.75", "q = 1.00"), keys(plot.getDataset()));
    assertEquals(List.of(40, 40, 40, 40, 40), counts(plot.getDataset()));
  }

  /** A study of one run (the first of a grid): each log axis has a single value to show. */
  @Test
  void aStudyOfOneRunIsDrawn() throws Exception {
    List<StudyTables.StudyRun> one = StudyTables.STUDY.subList(0, 1);
    StudyTables.writeRuns(spark, root, one);
    StudyTables.writeHistory(spark, root, one);
    StudyReport.Result result = StudyReport.write(spark, root.toString());
    Map<String, Figure> figures = byName(result.figures());
    for (String name : List.of("frontier_params", "frontier_flops")) {
      assertTrue(figures.get(name).isDrawn(), name);
      org.jfree.data.Range x = figures.get(name).chart().getXYPlot().getDomainAxis().getRange();
      assertTrue(x.getLength() > 0, name + ": a range around the one point, " + x);
      assertNotNull(ImageIO.read(root.resolve(StudyReport.FOLDER).resolve(name + ".png").toFile()), name);
    }
  }

  @Test
  void aFigureWithoutDataIsSkippedAndTheIndexSaysWhy() throws Exception {
    StudyTables.writeRuns(spark, root, StudyTables.STUDY.subList(0, 3));
    StudyTables.write(spark, root, "history", List.of(), StudyTables.HISTORY);   // a table without rows
    // no neuron_norms table at all
    StudyReport.Result result = StudyReport.write(spark, root.toString());
    Map<String, Figure> figures = byName(result.figures());
    assertTrue(figures.get("frontier_params").isDrawn() && figures.get("frontier_flops").isDrawn(), "the runs table suffices");
    assertEquals("no sparsity (neuron_sparsity, residual_sparsity) has both an attribution and a random run with "
        + "train/loss in the history table", figures.get(RecoveryFigure.NAME).skipped());
    assertEquals("no run of trainscratch01 has train/loss in the history table", figures.get("loss_trainscratch01").skipped());
    assertEquals("the table neuron_norms is missing (only group-sparsity runs log neuron norms)",
        figures.get(NeuronNormFigures.NAME).skipped());

    Path folder = root.resolve(StudyReport.FOLDER);
    assertFalse(Files.exists(folder.resolve(RecoveryFigure.NAME + ".png")));
    String index = Files.readString(folder.resolve(StudyReport.INDEX));
    for (String name : List.of(RecoveryFigure.NAME, "loss_trainscratch01", NeuronNormFigures.NAME)) {
      Figure f = figures.get(name);
      assertTrue(index.contains("<li id=\"" + name + "\"><b>" + f.title() + "</b>: " + f.skipped() + "</li>"), index);
    }
  }

  @Test
  void withoutARunsTableTheUserIsToldToWriteTheTables() {
    UserError e = assertThrows(UserError.class, () -> StudyReport.write(spark, root.toString()));
    assertEquals(root.resolve("_metrics/runs") + ": the table runs is missing; write the study's tables first with "
        + "`narrow metrics " + root + "`", e.getMessage());
  }

  /**
   * Whether the SVG draws a series of colour {@code c}: a line of the series' width through its
   * points, or for a single point its filled marker. JFreeSVG puts each shape's style on a
   * {@code <g>} around its {@code <path>}.
   */
  private static boolean drawsSeries(Document svg, Color c, int points) {
    String rgb = "rgb(" + c.getRed() + "," + c.getGreen() + "," + c.getBlue() + ")";
    String wanted = points > 1 ? "stroke-width:" + Charts.SOLID.getLineWidth() + ";stroke:" + rgb : "fill:" + rgb;
    NodeList paths = svg.getElementsByTagName("path");
    for (int i = 0; i < paths.getLength(); i++) {
      var path = (org.w3c.dom.Element) paths.item(i);
      String style = ((org.w3c.dom.Element) path.getParentNode()).getAttribute("style");
      int segments = path.getAttribute("d").split("L").length - 1;
      if (style.contains(wanted) && segments >= (points > 1 ? points - 1 : 0)) return true;
    }
    return false;
  }

  private static List<String> keys(XYDataset d) {
    return java.util.stream.IntStream.range(0, d.getSeriesCount()).mapToObj(i -> d.getSeriesKey(i).toString()).toList();
  }

  private static List<Integer> counts(XYDataset d) {
    return java.util.stream.IntStream.range(0, d.getSeriesCount()).mapToObj(d::getItemCount).toList();
  }
}
