package narrow.study;

import java.util.ArrayList;
import java.util.List;

/** Left-aligned columns as wide as their widest cell: the plan and the summary. */
final class Table {
  private Table() {}

  static List<String> lines(List<String> header, List<List<String>> rows) {
    int[] width = new int[header.size()];
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    for (List<String> row : all) {
      for (int i = 0; i < row.size(); i++) width[i] = Math.max(width[i], row.get(i).length());
    }
    List<String> lines = new ArrayList<>();
    for (List<String> row : all) {
      StringBuilder line = new StringBuilder(" ");
      for (int i = 0; i < row.size(); i++) {
        line.append(' ').append(row.get(i)).append(" ".repeat(width[i] - row.get(i).length())).append(' ');
      }
      lines.add(line.toString().stripTrailing());
    }
    return lines;
  }
}
