package narrow.report;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a log axis gets its ticks and how they read: at powers of ten over many decades; at 1, 2
 * and 5 times them, or at more digits, over a few; and at evenly spaced round numbers when the axis
 * spans less than a decade (a loss falling from 5.2 to 3.7 nats), where JFreeChart's own log axis
 * would print {@code 10^0.72}.
 */
final class LogTicks {
  private static final int[][] MANTISSAS = {{1, 2, 5}, {1, 2, 3, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};

  private LogTicks() {}

  /**
   * The tick values in [{@code lo}, {@code hi}] ({@code 0 < lo < hi}), ascending: the densest of
   * the sets above whose neighbours lie at least {@code minGap} apart on an axis {@code length}
   * long (so no two labels touch), powers of ten (every one, or every second, …) when even 1, 2, 5
   * is too dense.
   */
  static List<Double> values(double lo, double hi, double length, double minGap) {
    double pxPerDecade = length / Math.log10(hi / lo);
    int stride = Math.max(1, (int) Math.ceil(minGap / pxPerDecade));
    List<Double> best = logSpaced(lo, hi, new int[] {1}, stride);
    if (stride == 1) {
      for (int[] mantissas : MANTISSAS) {
        List<Double> ticks = logSpaced(lo, hi, mantissas, 1);
        if (smallestGap(ticks) * pxPerDecade < minGap) break;
        best = ticks;
      }
    }
    return best.size() >= 3 ? best : linear(lo, hi, pxPerDecade, minGap);
  }

  /** The smallest distance between neighbours, in decades. */
  private static double smallestGap(List<Double> ticks) {
    double gap = Double.POSITIVE_INFINITY;
    for (int i = 1; i < ticks.size(); i++) gap = Math.min(gap, Math.log10(ticks.get(i) / ticks.get(i - 1)));
    return gap;
  }

  private static List<Double> logSpaced(double lo, double hi, int[] mantissas, int stride) {
    List<Double> out = new ArrayList<>();
    for (int e = (int) Math.floor(Math.log10(lo)); e <= (int) Math.ceil(Math.log10(hi)); e++) {
      if (Math.floorMod(e, stride) != 0) continue;
      for (int m : mantissas) {
        double v = round(m * Math.pow(10, e));
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.add(v);
      }
    }
    return out;
  }

  /** Round numbers 1, 2, 2.5 or 5 × 10^k apart, the closest that keep {@code minGap} at the top. */
  private static List<Double> linear(double lo, double hi, double pxPerDecade, double minGap) {
    double magnitude = Math.pow(10, Math.floor(Math.log10((hi - lo) / 10)));
    for (int i = 0; ; i++) {
      double step = new double[] {1, 2, 2.5, 5}[i % 4] * magnitude * Math.pow(10, i / 4);
      // on a log axis neighbours are closest at the top
      if (Math.log10(hi / (hi - step)) * pxPerDecade < minGap && step < hi - lo) continue;
      List<Double> out = new ArrayList<>();
      for (double v = Math.ceil(lo / step) * step; v <= hi * (1 + 1e-9); v += step) out.add(round(v));
      return out;
    }
  }

  /** A tick value without the float noise of its arithmetic (0.30000000000000004 → 0.3). */
  private static double round(double v) {
    return new BigDecimal(v).round(new java.math.MathContext(10)).doubleValue();
  }

  /** A tick's label: plain below 10^4 ({@code 3.5}, {@code 400}, {@code 5000}), else {@code 2e4}, {@code 1e14}. */
  static String label(double v) {
    double a = Math.abs(v);
    if (a != 0 && (a >= 1e4 || a < 1e-3)) {
      int e = (int) Math.floor(Math.log10(a) + 1e-9);
      return plain(v / Math.pow(10, e)) + "e" + e;
    }
    return plain(v);
  }

  private static String plain(double v) {
    return new BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
  }
}
