package narrow.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.Stroke;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The look every figure of the report shares: white plot, grey grid, legend on the right. */
final class Charts {
  static final BasicStroke SOLID = new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
  static final BasicStroke DASHED = new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f,
      new float[] {7f, 4f}, 0f);
  private static final Font TICKS = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
  private static final Font LABELS = new Font(Font.SANS_SERIF, Font.PLAIN, 14);

  private Charts() {}

  /**
   * A line chart of {@code data}, one series a line; axes logarithmic where asked.
   *
   * @param markers a marker on every point (the frontier's few runs), else lines only (curves)
   */
  static JFreeChart lines(String title, String xLabel, boolean logX, String yLabel, boolean logY,
      XYSeriesCollection data, boolean markers) {
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, markers);
    // one <path> per series in the SVG, not a <line> per segment: smaller, and a series is findable
    renderer.setDrawSeriesLineAsPath(true);
    XYPlot plot = new XYPlot(data, axis(xLabel, logX), axis(yLabel, logY), renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xdddddd));
    plot.setRangeGridlinePaint(new Color(0xdddddd));
    plot.setOutlinePaint(new Color(0x888888));
    JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    LegendTitle legend = chart.getLegend();
    legend.setPosition(RectangleEdge.RIGHT);
    legend.setItemFont(TICKS);
    legend.setFrame(new org.jfree.chart.block.BlockBorder(Color.WHITE));
    return chart;
  }

  private static ValueAxis axis(String label, boolean log) {
    ValueAxis axis;
    if (log) {
      LogAxis a = new NiceLogAxis(label);
      a.setSmallestValue(1e-300);
      axis = a;
    } else {
      NumberAxis a = new NumberAxis(label);
      a.setAutoRangeIncludesZero(false);
      axis = a;
    }
    axis.setLabelFont(LABELS);
    axis.setTickLabelFont(TICKS);
    return axis;
  }

  /** Series {@code i}'s colour and line. */
  static void style(JFreeChart chart, int i, Paint paint, Stroke stroke) {
    XYLineAndShapeRenderer r = (XYLineAndShapeRenderer) chart.getXYPlot().getRenderer();
    r.setSeriesPaint(i, paint);
    r.setSeriesStroke(i, stroke);
  }

  /** A series of the points of {@code x}, {@code y} a log axis can show (both positive where asked). */
  static XYSeries series(String key, double[] x, double[] y, boolean logX, boolean logY) {
    // autoSort off: a curve is in step order already; duplicates allowed (two runs may share a size)
    XYSeries s = new XYSeries(key, false, true);
    for (int i = 0; i < x.length; i++) {
      if (Double.isNaN(x[i]) || Double.isNaN(y[i]) || (logX && x[i] <= 0) || (logY && y[i] <= 0)) continue;
      s.add(x[i], y[i], false);
    }
    return s;
  }
}
