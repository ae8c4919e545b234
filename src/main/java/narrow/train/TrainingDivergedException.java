package narrow.train;

/** The loss or the gradient norm became NaN or infinite: the run stops, earlier checkpoints stay. */
public final class TrainingDivergedException extends RuntimeException {
  private final long step;

  public TrainingDivergedException(long step, String what, double value, String lastCheckpoint) {
    super("step " + step + ": non-finite " + what + " (" + value + "); training stopped. "
        + (lastCheckpoint == null ? "No checkpoint was written before it."
            : "Last good checkpoint: " + lastCheckpoint));
    this.step = step;
  }

  /** The optimizer step (1-based) whose loss or gradient was not finite. */
  public long step() {
    return step;
  }
}
