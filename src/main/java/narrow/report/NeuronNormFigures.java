package narrow.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * One figure per group-sparsity run: quantiles of its neurons' group norms against the step, log
 * norm, so that the penalty driving a share of neurons towards zero (the low quantiles falling
 * away from the high ones) shows before norm pruning removes them.
 */
final class NeuronNormFigures {
  static final String NAME = "neuron_norms";
  static final String TITLE = "Neuron norm quantiles under group sparsity";

  private NeuronNormFigures() {}

  static List<Figure> of(Map<String, List<Curve>> norms, String whyNone) {
    if (norms.isEmpty()) return List.of(Figure.skipped(NAME, TITLE, whyNone));
    List<Figure> out = new ArrayList<>();
    norms.forEach((run, curves) -> out.add(figure(run, curves)));
    return out;
  }

  private static Figure figure(String run, List<Curve> quantiles) {
    String name = NAME + "_" + FileNames.safe(run);
    XYSeriesCollection data = new XYSeriesCollection();
    for (Curve q : quantiles) data.addSeries(Charts.series(q.label(), q.steps(), q.values(), false, true));
    JFreeChart chart = Charts.lines("Neuron norm quantiles: " + run, "training step", false,
        "neuron group norm (L2)", true, data, false);
    for (int i = 0; i < quantiles.size(); i++) {
      Charts.style(chart, i, Viridis.at(quantiles.size() == 1 ? 0 : (double) i / (quantiles.size() - 1)), Charts.SOLID);
    }
    return Figure.drawn(name, chart);
  }
}
