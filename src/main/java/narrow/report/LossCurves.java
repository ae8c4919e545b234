package narrow.report;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs' train loss curves as the study draws them: the EMA of {@code train/loss} by run. */
final class LossCurves {
  /** Points a curve keeps for drawing: more than a figure's width in pixels. */
  static final int MAX_POINTS = 1500;

  private LossCurves() {}

  /** Each run's ({@link RunInfo#key}) smoothed curve, thinned for drawing. */
  static Map<String, Curve> smoothed(List<Curve> trainLoss) {
    Map<String, Curve> out = new LinkedHashMap<>();
    for (Curve c : trainLoss) {
      // smoothed before thinning: the EMA is over every logged step, as the notebooks' is
      out.put(c.key(), new Curve(c.experiment(), c.run(), "EMA(train/loss)", c.steps(),
          Ema.of(c.values(), Ema.STUDY_ALPHA)).thinned(MAX_POINTS));
    }
    return out;
  }
}
