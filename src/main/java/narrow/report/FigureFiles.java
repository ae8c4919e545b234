package narrow.report;

import java.awt.Rectangle;
import java.io.IOException;
import java.nio.file.Path;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.SVGUtils;

/** A figure's two files: a PNG for the page, an SVG for a paper. */
final class FigureFiles {
  static final int WIDTH = 1000;
  static final int HEIGHT = 600;

  private FigureFiles() {}

  static void write(JFreeChart chart, Path png, Path svg) throws IOException {
    ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
    SVGGraphics2D g = new SVGGraphics2D(WIDTH, HEIGHT);
    chart.draw(g, new Rectangle(WIDTH, HEIGHT));
    SVGUtils.writeToSVG(svg.toFile(), g.getSVGElement());
  }
}
