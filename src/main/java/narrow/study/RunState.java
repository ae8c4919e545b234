package narrow.study;

import java.io.IOException;
import narrow.train.CheckpointStore;
import narrow.train.Trainer;

/**
 * Where a run stands, read from its folder's markers alone (no weights opened): done (a complete
 * {@code final_model/}), partial (files, and the step of its newest complete checkpoint if it has
 * one), or new (an empty or missing folder).
 *
 * @param step the newest complete checkpoint's step; null when there is none
 */
public record RunState(Kind kind, Long step) {
  public enum Kind { NEW, PARTIAL, DONE }

  public static RunState of(CheckpointStore runDir) throws IOException {
    if (runDir.isComplete(Trainer.FINAL_MODEL)) return new RunState(Kind.DONE, null);
    String latest = runDir.latest();
    if (latest != null) {
      return new RunState(Kind.PARTIAL, Long.parseLong(latest.substring(latest.lastIndexOf("checkpoint-") + 11)));
    }
    return new RunState(runDir.entries().isEmpty() ? Kind.NEW : Kind.PARTIAL, null);
  }

  /** As the plan and the summary show it: {@code done}, {@code partial at step N}, {@code new}. */
  @Override
  public String toString() {
    return switch (kind) {
      case DONE -> "done";
      case NEW -> "new";
      case PARTIAL -> step == null ? "partial, no checkpoint" : "partial at step " + step;
    };
  }
}
