package narrow.report;

import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jfree.chart.JFreeChart;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The study's comparison of pruning by attribution against random pruning: the recovery
 * training's smoothed loss at each sparsity both were run at, attribution solid and random dashed
 * in one colour per sparsity (viridis by the pruned size), log-log as the study's notebook draws it.
 */
final class RecoveryFigure {
  static final String NAME = "recovery_attribution_vs_random";
  static final String TITLE = "Recovery after pruning: attribution (solid) vs random (dashed)";

  private RecoveryFigure() {}

  static Figure of(List<RunInfo> runs, Map<String, Curve> smoothed) {
    // sparsity "n0.50 r0.20" → method → its runs with a loss curve
    Map<String, Map<String, List<RunInfo>>> bySparsity = new TreeMap<>();
    for (RunInfo r : runs) {
      boolean compared = r.method().equals("attribution") || r.method().equals("random");
      if (!compared || !smoothed.containsKey(r.key())) continue;
      bySparsity.computeIfAbsent(sparsity(r), k -> new TreeMap<>())
          .computeIfAbsent(r.method(), k -> new ArrayList<>()).add(r);
    }
    bySparsity.values().removeIf(methods -> methods.size() < 2);
    if (bySparsity.isEmpty()) {
      return Figure.skipped(NAME, TITLE, "no sparsity (neuron_sparsity, residual_sparsity) has both an "
          + "attribution and a random run with train/loss in the history table");
    }
    List<RunInfo> shown = bySparsity.values().stream().flatMap(m -> m.values().stream()).flatMap(List::stream).toList();
    double min = shown.stream().mapToDouble(RunInfo::nEffectiveParams).filter(n -> n > 0).min().orElse(Double.NaN);
    double max = shown.stream().mapToDouble(RunInfo::nEffectiveParams).filter(n -> n > 0).max().orElse(Double.NaN);

    XYSeriesCollection data = new XYSeriesCollection();
    List<Color> colours = new ArrayList<>();
    List<Boolean> dashed = new ArrayList<>();
    bySparsity.forEach((sparsity, methods) -> methods.forEach((method, rs) -> {
      for (RunInfo r : rs) {
        String key = method + " " + sparsity;
        if (data.getSeriesIndex(key) >= 0) key += " (" + r.key() + ")";
        Curve c = smoothed.get(r.key());
        data.addSeries(Charts.series(key, c.steps(), c.values(), true, true));
        colours.add(Viridis.bySize(r.nEffectiveParams(), min, max));
        dashed.add(method.equals("random"));
      }
    }));
    JFreeChart chart = Charts.lines(TITLE, "training step", true, "train loss, EMA α = 0.01 (nats)", true, data, false);
    for (int i = 0; i < colours.size(); i++) {
      Charts.style(chart, i, colours.get(i), dashed.get(i) ? Charts.DASHED : Charts.SOLID);
    }
    return Figure.drawn(NAME, chart);
  }

  /** The study's name of a sparsity, as its runs are named ({@code n0.50_r0.20}). */
  static String sparsity(RunInfo r) {
    return String.format(Locale.ROOT, "n%.2f r%.2f", r.neuronSparsity(), r.residualSparsity());
  }
}
