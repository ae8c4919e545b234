package narrow.report;

import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;

/** JFreeChart's log axis with {@link LogTicks}' ticks and labels. */
final class NiceLogAxis extends LogAxis {
  /** Pixels between neighbouring ticks: a label's width ({@code 1.5e11}) and a space; a line's height. */
  private static final double HORIZONTAL_GAP = 55, VERTICAL_GAP = 28;

  NiceLogAxis(String label) {
    super(label);
  }

  /**
   * A factor of two either side of a single value (a study of one run, a frontier with one size):
   * JFreeChart's own log axis would set a range of length zero there and refuse it.
   */
  @Override
  protected void autoAdjustRange() {
    if (getPlot() instanceof org.jfree.chart.plot.ValueAxisPlot plot && isAutoRange()) {
      org.jfree.data.Range r = plot.getDataRange(this);
      if (r != null && r.getLength() == 0 && r.getLowerBound() > 0) {
        setRange(new org.jfree.data.Range(r.getLowerBound() / 2, r.getUpperBound() * 2), false, false);
        return;
      }
    }
    super.autoAdjustRange();
  }

  @Override
  protected List refreshTicksHorizontal(Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
    return ticks(dataArea.getWidth(), HORIZONTAL_GAP, edge == RectangleEdge.TOP ? TextAnchor.BOTTOM_CENTER : TextAnchor.TOP_CENTER);
  }

  @Override
  protected List refreshTicksVertical(Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
    return ticks(dataArea.getHeight(), VERTICAL_GAP, edge == RectangleEdge.LEFT ? TextAnchor.CENTER_RIGHT : TextAnchor.CENTER_LEFT);
  }

  private List<NumberTick> ticks(double length, double minGap, TextAnchor anchor) {
    List<NumberTick> out = new ArrayList<>();
    for (double v : LogTicks.values(getLowerBound(), getUpperBound(), length, minGap)) {
      out.add(new NumberTick(TickType.MAJOR, v, LogTicks.label(v), anchor, TextAnchor.CENTER, 0));
    }
    return out;
  }
}
