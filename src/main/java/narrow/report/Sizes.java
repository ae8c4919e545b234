package narrow.report;

import java.util.Locale;

/** Parameter counts as the figures' legends write them. */
final class Sizes {
  private Sizes() {}

  /** {@code 1.2M params}, {@code 350K params}; {@code ? params} when unknown. */
  static String params(double n) {
    if (!(n > 0)) return "? params";
    if (n >= 1e9) return String.format(Locale.ROOT, "%.3gB params", n / 1e9);
    if (n >= 1e6) return String.format(Locale.ROOT, "%.3gM params", n / 1e6);
    if (n >= 1e3) return String.format(Locale.ROOT, "%.3gK params", n / 1e3);
    return String.format(Locale.ROOT, "%.0f params", n);
  }
}
