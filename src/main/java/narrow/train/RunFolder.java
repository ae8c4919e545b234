package narrow.train;

import java.io.IOException;
import java.util.List;
import narrow.util.UserError;

/**
 * A run's folder ({@code <train.output_dir>/<run>/}) made ready before anything is written to
 * it: one run per folder, so a second run is refused unless it continues the first
 * ({@code --resume}) or replaces it ({@code --overwrite}); files of two runs never mix.
 */
public final class RunFolder {
  private RunFolder() {}

  /** Written beside the checkpoints before the first step. */
  public static final String MODEL_STATS = "model_stats.json";

  /** What the command was asked to do with a folder that already holds a run. */
  public enum Start {
    FRESH, RESUME, OVERWRITE;

    public static Start of(boolean resume, boolean overwrite) {
      if (resume && overwrite) {
        throw new UserError("--resume and --overwrite exclude each other: continue the run, or replace it");
      }
      return resume ? RESUME : overwrite ? OVERWRITE : FRESH;
    }
  }

  /**
   * Refuses a folder that holds anything when starting fresh; deletes it whole for {@code
   * --overwrite}; removes the leftovers of a killed save before a resume. Says on stderr what it
   * deleted.
   *
   * @param command the command, for messages ({@code train}, {@code prune})
   * @param canResume whether the command takes {@code --resume}
   */
  public static void prepare(CheckpointStore store, Start start, String command, boolean canResume) throws IOException {
    List<String> entries = store.entries();
    if (entries.isEmpty()) return;
    switch (start) {
      case FRESH -> throw new UserError(store.root() + " already holds a run (" + names(entries) + "): "
          + (canResume ? "continue it with --resume, or " : "")
          + "replace it with --overwrite (deletes everything in that folder)"
          + (canResume ? "" : ", or set another train.output_dir"));
      case OVERWRITE -> {
        store.deleteAll();
        System.err.println("narrow " + command + ": --overwrite: deleted the run in " + store.root() + " ("
            + names(entries) + ")");
      }
      case RESUME -> {
        for (String leftover : store.removeLeftovers()) {
          System.err.println("narrow " + command + ": removed " + store.location(leftover)
              + " (a save cut short by a kill or Ctrl-C; never complete)");
        }
      }
    }
  }

  /**
   * After a run that started in an empty folder failed: removes the folder when the run saved
   * nothing in it but model_stats.json, so that a run that never got going leaves no trace and
   * the same command, fixed, is not refused.
   */
  public static void removeIfNothingSaved(CheckpointStore store) throws IOException {
    if (store.entries().stream().allMatch(MODEL_STATS::equals)) store.deleteAll();
  }

  /** The first few names, enough to recognise the run. */
  private static String names(List<String> entries) {
    int shown = Math.min(entries.size(), 5);
    String list = String.join(", ", entries.subList(0, shown));
    return entries.size() > shown ? list + ", … " + (entries.size() - shown) + " more" : list;
  }
}
