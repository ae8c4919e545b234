package narrow.cli;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import narrow.model.io.SafetensorsHeader;
import narrow.train.TrainingDivergedException;
import narrow.util.UserError;

/**
 * Errors whose message alone tells the user what to fix: our {@link UserError}s (bad config,
 * input or argument; {@code ConfigException} and {@code TokenizeException} are ones), a run
 * that diverged, a malformed safetensors file, and a file that exists or is missing. Not
 * {@code IllegalArgumentException}: thrown for bad input by some libraries and for broken
 * invariants by our own code, it is too often a bug to hide its trace.
 */
final class UserErrors {
  private UserErrors() {}

  static boolean isUserError(Class<?> type) {
    return UserError.class.isAssignableFrom(type) || TrainingDivergedException.class.isAssignableFrom(type)
        || SafetensorsHeader.SafetensorsFormatException.class.isAssignableFrom(type)
        || java.nio.file.FileAlreadyExistsException.class.isAssignableFrom(type)
        || java.nio.file.NoSuchFileException.class.isAssignableFrom(type);
  }

  /** A class named in a Spark task's failure text, when it is one of ours or the JDK's and a user error. */
  static boolean isUserError(String className) {
    try {
      return isUserError(Class.forName(className, false, UserErrors.class.getClassLoader()));
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /**
   * The user error in {@code e}'s causes; or, when a Spark task threw one that reached the driver
   * only as text (an exception Spark could not ship), a {@link UserError} of its message.
   */
  static Throwable find(Throwable e) {
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    for (Throwable t = e; t != null && seen.put(t, true) == null; t = t.getCause()) {
      if (isUserError(t.getClass())) return t;
    }
    for (Throwable t : seen.keySet()) {
      Optional<SparkTaskFailure> failure = SparkTaskFailure.in(t.getMessage());
      if (failure.isPresent() && isUserError(failure.get().className())) {
        return new UserError(failure.get().message(), e);
      }
    }
    return null;
  }
}
