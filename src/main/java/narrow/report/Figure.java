package narrow.report;

import org.jfree.chart.JFreeChart;

/**
 * One figure of the report: drawn ({@link #chart} set) or skipped ({@link #skipped} says why,
 * for the index).
 *
 * @param name the files' name without extension, {@code <name>.png} and {@code <name>.svg}
 */
public record Figure(String name, String title, JFreeChart chart, String skipped) {

  static Figure drawn(String name, JFreeChart chart) {
    return new Figure(name, chart.getTitle().getText(), chart, null);
  }

  static Figure skipped(String name, String title, String why) {
    return new Figure(name, title, null, why);
  }

  public boolean isDrawn() {
    return chart != null;
  }
}
