package narrow.study;

import java.io.IOException;

/**
 * What happens after each run of the grid, skipped and failed ones included, before the next
 * starts: the place where the study's metrics tables are rebuilt from the run folders, so that
 * they never disagree with the files.
 */
@FunctionalInterface
public interface AfterEachRun {
  AfterEachRun NOTHING = (outputRoot, outcome) -> {};

  /**
   * @param outputRoot the config's {@code output_root} (a local one absolute), or null when it has none
   * @param outcome the run just ended
   */
  void after(String outputRoot, RunOutcome outcome) throws IOException;
}
