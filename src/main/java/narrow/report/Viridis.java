package narrow.report;

import java.awt.Color;

/**
 * matplotlib's {@code viridis} colour map, the study's colouring of runs by model size: eleven of
 * its colours (at 0, 0.1, …, 1) with straight lines between them, which no eye tells from the
 * 256-entry table.
 */
public final class Viridis {
  private static final int[] ANCHORS = {
      0x440154, 0x482475, 0x414487, 0x355f8d, 0x2a788e, 0x21918c,
      0x22a884, 0x44bf70, 0x7ad151, 0xbddf26, 0xfde725};

  private Viridis() {}

  /** The colour at {@code t}, clamped to [0, 1]: dark purple at 0, yellow at 1. */
  public static Color at(double t) {
    double clamped = Double.isNaN(t) ? 0 : Math.max(0, Math.min(1, t));
    double pos = clamped * (ANCHORS.length - 1);
    int lo = Math.min((int) Math.floor(pos), ANCHORS.length - 2);
    double f = pos - lo;
    Color a = new Color(ANCHORS[lo]), b = new Color(ANCHORS[lo + 1]);
    return new Color(mix(a.getRed(), b.getRed(), f), mix(a.getGreen(), b.getGreen(), f), mix(a.getBlue(), b.getBlue(), f));
  }

  /**
   * The colour of a model of {@code n} parameters among models of {@code min} to {@code max}:
   * viridis on log10 of the count, as the study's {@code LogNorm}; all one size is the first colour
   * (matplotlib's normalisation of an empty range).
   */
  public static Color bySize(double n, double min, double max) {
    if (!(min > 0) || !(max > min)) return at(0);
    return at((Math.log10(n) - Math.log10(min)) / (Math.log10(max) - Math.log10(min)));
  }

  private static int mix(int a, int b, double f) {
    return (int) Math.round(a + (b - a) * f);
  }
}
