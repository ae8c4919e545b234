package narrow.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import narrow.util.Locations;
import narrow.util.OutputFolder;
import org.apache.spark.sql.SparkSession;

/**
 * The study's figures and their index, drawn from the metrics tables of an output root into
 * {@code <root>/_report/}: the training frontier, attribution against random recovery, the loss
 * curves of each experiment and the neuron norms of group-sparsity runs, each as PNG and SVG.
 */
public final class StudyReport {
  public static final String FOLDER = "_report";
  public static final String INDEX = "index.html";

  static {
    // a driver on a cluster has no display; charts are drawn into images only
    if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
  }

  private StudyReport() {}

  /** What a report wrote: its folder (as committed) and every figure, drawn or skipped. */
  public record Result(String folder, List<Figure> figures) {}

  /** Reads {@code root}'s tables and writes its report, replacing an older one whole. */
  public static Result write(SparkSession spark, String root) {
    MetricsTables tables = MetricsTables.read(spark, root);
    List<Figure> figures = figures(tables);
    String location = Locations.child(root, FOLDER);
    try (OutputFolder out = OutputFolder.stage(location, spark.sparkContext().hadoopConfiguration(), true)) {
      for (Figure f : figures) {
        if (f.isDrawn()) FigureFiles.write(f.chart(), out.dir().resolve(f.name() + ".png"), out.dir().resolve(f.name() + ".svg"));
      }
      Files.writeString(out.dir().resolve(INDEX), IndexPage.html(root, figures, tables.runsTable()), StandardCharsets.UTF_8);
      out.commit();
      return new Result(out.target().toString(), figures);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the report to " + location, e);
    }
  }

  /** The figures of {@code tables}, in the index's order, each drawn or skipped with its reason. */
  public static List<Figure> figures(MetricsTables tables) {
    Map<String, Curve> smoothed = LossCurves.smoothed(tables.trainLoss());
    List<Figure> out = new ArrayList<>(FrontierFigures.of(tables.runs()));
    out.add(RecoveryFigure.of(tables.runs(), smoothed));
    out.addAll(ExperimentLossFigures.of(tables.runs(), smoothed));
    String whyNoNorms = tables.absent().getOrDefault("neuron_norms",
        "the table neuron_norms has no rows");
    out.addAll(NeuronNormFigures.of(tables.neuronNorms(), whyNoNorms + " (only group-sparsity runs log neuron norms)"));
    return out;
  }
}
