package narrow.study;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import narrow.config.ConfigException;
import narrow.config.ConfigLoader;

/** The runs {@code --run NAME|GLOB} picks from an experiment's grid. */
public final class RunSelection {
  private RunSelection() {}

  /**
   * The runs of {@code file}'s grid that any of {@code patterns} names or globs ({@code n0.50_*}),
   * in the file's order; all of them when there is no pattern. A file without a grid has one run,
   * its default: a list of one null.
   *
   * @throws ConfigException when a pattern picks no run, or is given for a file without a grid
   */
  public static List<String> select(Path file, List<String> patterns) {
    List<String> grid = ConfigLoader.runNames(file);
    if (grid.isEmpty()) {
      if (!patterns.isEmpty()) {
        throw new ConfigException(file + ": --run " + patterns.get(0)
            + ": this experiment has no runs: grid; leave out --run to run its one run");
      }
      return Collections.singletonList(null);
    }
    if (patterns.isEmpty()) return grid;
    List<String> picked = new ArrayList<>();
    for (String pattern : patterns) {
      PathMatcher glob = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
      List<String> matched = grid.stream().filter(run -> glob.matches(Path.of(run))).toList();
      if (matched.isEmpty()) {
        throw new ConfigException(file + ": --run " + pattern + " matches no run; runs: " + String.join(", ", grid));
      }
      for (String run : matched) if (!picked.contains(run)) picked.add(run);
    }
    return grid.stream().filter(picked::contains).toList();
  }
}
