package narrow.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * One figure per experiment: each run's smoothed train loss against the step, log-log, coloured
 * by its size (viridis on log10 of its effective parameters) as the study's notebooks colour them.
 */
final class ExperimentLossFigures {
  private ExperimentLossFigures() {}

  static List<Figure> of(List<RunInfo> runs, Map<String, Curve> smoothed) {
    Map<String, List<RunInfo>> byExperiment = new LinkedHashMap<>();
    for (RunInfo r : runs) byExperiment.computeIfAbsent(r.experiment(), e -> new ArrayList<>()).add(r);
    List<Figure> out = new ArrayList<>();
    byExperiment.forEach((experiment, rs) -> out.add(figure(experiment, rs, smoothed)));
    return out;
  }

  private static Figure figure(String experiment, List<RunInfo> runs, Map<String, Curve> smoothed) {
    String name = "loss_" + FileNames.safe(experiment);
    String title = "Train loss by run: " + experiment;
    List<RunInfo> drawn = runs.stream().filter(r -> smoothed.containsKey(r.key())).toList();
    if (drawn.isEmpty()) {
      return Figure.skipped(name, title, "no run of " + experiment + " has train/loss in the history table");
    }
    double min = drawn.stream().mapToDouble(RunInfo::nEffectiveParams).filter(n -> n > 0).min().orElse(Double.NaN);
    double max = drawn.stream().mapToDouble(RunInfo::nEffectiveParams).filter(n -> n > 0).max().orElse(Double.NaN);
    XYSeriesCollection data = new XYSeriesCollection();
    for (RunInfo r : drawn) {
      Curve c = smoothed.get(r.key());
      data.addSeries(Charts.series(r.run() + " (" + Sizes.params(r.nEffectiveParams()) + ")", c.steps(), c.values(), true, true));
    }
    JFreeChart chart = Charts.lines(title, "training step", true, "train loss, EMA α = 0.01 (nats)", true, data, false);
    for (int i = 0; i < drawn.size(); i++) {
      Charts.style(chart, i, Viridis.bySize(drawn.get(i).nEffectiveParams(), min, max), Charts.SOLID);
    }
    return Figure.drawn(name, chart);
  }
}
