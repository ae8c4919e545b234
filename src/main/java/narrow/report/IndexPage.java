package narrow.report;

import java.util.List;

/**
 * The report's {@code index.html}: every figure (its PNG, a link to its SVG), the ones skipped and
 * why, and the runs table; one file with its style inline, so it opens anywhere it is copied to
 * with its figures.
 */
final class IndexPage {
  private static final String STYLE = """
      body { font-family: sans-serif; margin: 24px; color: #222; }
      figure { margin: 0 0 32px 0; }
      figure img { max-width: 100%; border: 1px solid #ddd; }
      figcaption { font-size: 14px; margin-top: 4px; }
      .skipped li { margin-bottom: 4px; }
      .runs { overflow-x: auto; }
      table { border-collapse: collapse; font-size: 12px; }
      th, td { border: 1px solid #ccc; padding: 3px 6px; white-space: nowrap; }
      th { background: #f0f0f0; position: sticky; top: 0; }
      td.num { text-align: right; font-variant-numeric: tabular-nums; }
      tr:nth-child(even) td { background: #fafafa; }
      """;

  private IndexPage() {}

  static String html(String root, List<Figure> figures, RunsTable runs) {
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>narrow report: ")
        .append(esc(root)).append("</title>\n<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n")
        .append("<h1>Study report</h1>\n<p>From the metrics tables of <code>").append(esc(root))
        .append("</code>.</p>\n<h2>Figures</h2>\n");
    for (Figure f : figures) {
      if (!f.isDrawn()) continue;
      b.append("<figure id=\"").append(esc(f.name())).append("\">\n<img src=\"").append(esc(f.name()))
          .append(".png\" alt=\"").append(esc(f.title())).append("\" width=\"").append(FigureFiles.WIDTH)
          .append("\" height=\"").append(FigureFiles.HEIGHT).append("\">\n<figcaption>").append(esc(f.title()))
          .append(" (<a href=\"").append(esc(f.name())).append(".svg\">SVG</a>)</figcaption>\n</figure>\n");
    }
    List<Figure> skipped = figures.stream().filter(f -> !f.isDrawn()).toList();
    if (!skipped.isEmpty()) {
      b.append("<h2>Not drawn</h2>\n<ul class=\"skipped\">\n");
      for (Figure f : skipped) {
        b.append("<li id=\"").append(esc(f.name())).append("\"><b>").append(esc(f.title())).append("</b>: ")
            .append(esc(f.skipped())).append("</li>\n");
      }
      b.append("</ul>\n");
    }
    b.append("<h2>Runs</h2>\n<div class=\"runs\">\n<table>\n<thead><tr>");
    for (String c : runs.columns()) b.append("<th>").append(esc(c)).append("</th>");
    b.append("</tr></thead>\n<tbody>\n");
    for (List<String> row : runs.rows()) {
      b.append("<tr>");
      for (String cell : row) {
        b.append(isNumber(cell) ? "<td class=\"num\">" : "<td>").append(esc(cell)).append("</td>");
      }
      b.append("</tr>\n");
    }
    return b.append("</tbody>\n</table>\n</div>\n</body>\n</html>\n").toString();
  }

  private static boolean isNumber(String s) {
    return s.matches("-?[0-9.]+(e[+-]?[0-9]+)?|NaN");
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
