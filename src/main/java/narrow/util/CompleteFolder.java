package narrow.util;

/**
 * The promise every output folder of narrow keeps (a tokenized dataset, a checkpoint,
 * {@code final_model/}): it is complete when it holds {@link #MARKER}, written after every other
 * file. A folder without it was cut short and is never read as whole. Hadoop's committers use the
 * same name for the same promise.
 */
public final class CompleteFolder {
  public static final String MARKER = "_SUCCESS";

  private CompleteFolder() {}
}
