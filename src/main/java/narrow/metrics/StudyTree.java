package narrow.metrics;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import narrow.util.Locations;
import narrow.util.UserError;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The run folders of a study tree, {@code <root>/<experiment>/<run>/}, on any Hadoop file system.
 * Folders whose name starts with {@code _} or {@code .} are narrow's own ({@code _metrics}, a
 * commit's {@code .tmp-…}) and are neither experiments nor runs.
 */
final class StudyTree {
  private StudyTree() {}

  /** One run folder: its experiment, its name, and where it is, spelled as the root is. */
  record RunLocation(String experiment, String run, String location) {}

  /**
   * The run folders under {@code root}, by experiment then run name.
   *
   * @throws UserError when {@code root} does not exist or holds no run folder
   */
  static List<RunLocation> runs(FileSystem fs, String root) throws IOException {
    Path top = Locations.hadoopPath(root);
    List<RunLocation> runs = new ArrayList<>();
    FileStatus[] experiments;
    try {
      experiments = fs.listStatus(top);
    } catch (FileNotFoundException e) {
      throw new UserError(root + " does not exist: give the study's output root, the folder that holds "
          + "<experiment>/<run>/ folders");
    }
    for (FileStatus experiment : folders(experiments)) {
      String name = experiment.getPath().getName();
      for (FileStatus run : folders(fs.listStatus(experiment.getPath()))) {
        String runName = run.getPath().getName();
        runs.add(new RunLocation(name, runName, Locations.child(Locations.child(root, name), runName)));
      }
    }
    if (runs.isEmpty()) {
      throw new UserError(root + " holds no runs: the metrics tables are built from run folders "
          + "<root>/<experiment>/<run>/ (as narrow run writes them); run an experiment into it first");
    }
    return runs;
  }

  private static List<FileStatus> folders(FileStatus[] entries) {
    return Arrays.stream(entries)
        .filter(FileStatus::isDirectory)
        .filter(s -> !s.getPath().getName().startsWith("_") && !s.getPath().getName().startsWith("."))
        .sorted(Comparator.comparing(s -> s.getPath().getName()))
        .toList();
  }
}
