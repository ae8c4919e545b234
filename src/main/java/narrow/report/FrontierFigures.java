package narrow.report;

import java.awt.Color;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.JFreeChart;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The training frontier: each run's final eval loss against its size and against its training
 * compute, log-log, one series per method, so that a method whose line lies below another's gets
 * the same loss for fewer parameters or FLOPs.
 */
final class FrontierFigures {
  /** The methods of the runs table in the study's order, as its figures name them, and their colours. */
  static final Map<String, String> METHODS = new LinkedHashMap<>();
  private static final Map<String, Color> COLOURS = Map.of(
      "scratch", new Color(0x1f77b4), "distillation", new Color(0xff7f0e), "attribution", new Color(0x2ca02c),
      "random", new Color(0xd62728), "group_sparsity", new Color(0x9467bd), "norm", new Color(0x8c564b));

  static {
    METHODS.put("scratch", "from scratch");
    METHODS.put("distillation", "distillation");
    METHODS.put("attribution", "attribution pruning + recovery");
    METHODS.put("random", "random pruning + recovery");
    METHODS.put("group_sparsity", "group-sparsity training");
    METHODS.put("norm", "group sparsity + norm pruning + recovery");
  }

  private FrontierFigures() {}

  static List<Figure> of(List<RunInfo> runs) {
    return List.of(
        frontier("frontier_params", "Training frontier: eval loss against model size",
            "parameters (effective, after pruning)", runs, RunInfo::nEffectiveParams),
        frontier("frontier_flops", "Training frontier: eval loss against training compute",
            "training FLOPs (6 · parameters · tokens)", runs, RunInfo::flops));
  }

  private static Figure frontier(String name, String title, String xLabel, List<RunInfo> runs,
      ToDoubleFunction<RunInfo> x) {
    Map<String, List<RunInfo>> byMethod = new LinkedHashMap<>();
    METHODS.keySet().forEach(m -> byMethod.put(m, new ArrayList<>()));
    for (RunInfo r : runs) {
      if (x.applyAsDouble(r) > 0 && r.finalEvalLoss() > 0) {
        byMethod.computeIfAbsent(r.method(), m -> new ArrayList<>()).add(r);
      }
    }
    XYSeriesCollection data = new XYSeriesCollection();
    List<Color> colours = new ArrayList<>();
    byMethod.forEach((method, rs) -> {
      if (rs.isEmpty()) return;
      rs.sort(Comparator.comparingDouble(x));
      data.addSeries(Charts.series(METHODS.getOrDefault(method, method),
          rs.stream().mapToDouble(x).toArray(), rs.stream().mapToDouble(RunInfo::finalEvalLoss).toArray(), true, true));
      colours.add(COLOURS.getOrDefault(method, Color.DARK_GRAY));
    });
    if (data.getSeriesCount() == 0) {
      return Figure.skipped(name, title, "no run has both a final eval loss and a positive "
          + (name.endsWith("flops") ? "flops" : "n_effective_params") + " in the runs table");
    }
    JFreeChart chart = Charts.lines(title, xLabel, true, "final eval loss (nats)", true, data, true);
    for (int i = 0; i < colours.size(); i++) Charts.style(chart, i, colours.get(i), Charts.SOLID);
    return Figure.drawn(name, chart);
  }
}
