package narrow.report;

import java.math.BigDecimal;
import java.math.MathContext;

/** Parameter counts as the figures' legends write them. */
final class Sizes {
  private Sizes() {}

  /** {@code 1.2M params}, {@code 20K params}; {@code ? params} when unknown. */
  static String params(double n) {
    if (!(n > 0)) return "? params";
    if (n >= 1e9) return digits(n / 1e9) + "B params";
    if (n >= 1e6) return digits(n / 1e6) + "M params";
    if (n >= 1e3) return digits(n / 1e3) + "K params";
    return digits(n) + " params";
  }

  private static String digits(double v) {
    return new BigDecimal(v).round(new MathContext(3)).stripTrailingZeros().toPlainString();
  }
}
