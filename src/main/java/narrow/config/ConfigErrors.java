package narrow.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import narrow.util.Locations;

/**
 * Collects every problem in a config so the user fixes them in one pass, not one per run. A
 * problem with a key that {@code --set} gave is blamed on that {@code --set}, not on the file.
 */
public final class ConfigErrors {
  private final Path file;
  private final Map<String, String> fromCommandLine;
  private final List<String> problems = new ArrayList<>();
  private boolean anyFromFile;

  public ConfigErrors(Path file) {
    this(file, Map.of());
  }

  /** @param fromCommandLine key to the {@code --set key=value} that gave it ({@link Overrides#apply}) */
  public ConfigErrors(Path file, Map<String, String> fromCommandLine) {
    this.file = file;
    this.fromCommandLine = fromCommandLine;
  }

  public void add(String key, String problem) {
    String given = origin(fromCommandLine, key);
    if (given == null) anyFromFile = true;
    problems.add((given == null ? "" : given + ": ") + "key '" + key + "': " + problem);
  }

  /**
   * The {@code --set} that gave {@code key}, or one of the sections it is in, or null when the
   * key comes from the file.
   */
  static String origin(Map<String, String> fromCommandLine, String key) {
    for (var e : fromCommandLine.entrySet()) {
      String set = e.getKey();
      if (key.equals(set) || key.startsWith(set + ".") || key.startsWith(set + "[")) return e.getValue();
    }
    return null;
  }

  public void requirePositive(String key, long value) {
    if (value <= 0) add(key, "must be positive, got " + value);
  }

  public void requireNonNegative(String key, double value) {
    if (value < 0 || Double.isNaN(value)) add(key, "must not be negative, got " + value);
  }

  public void requireInRange(String key, double value, double lo, double hi) {
    if (!(value >= lo && value <= hi)) add(key, "must be in [" + lo + ", " + hi + "], got " + value);
  }

  public boolean requirePresent(String key, Object value) {
    if (value == null || (value instanceof String s && s.isBlank())) {
      add(key, "is required");
      return false;
    }
    return true;
  }

  /** A local path must exist; remote URIs (s3a://, gs://, hdfs://) are checked by the job. */
  public void requireExistingLocal(String key, String path) {
    if (path != null && !Locations.isRemote(path) && !Files.exists(Locations.localPath(path))) {
      add(key, "path does not exist: " + path);
    }
  }

  public void throwIfAny() {
    if (problems.isEmpty()) return;
    StringBuilder sb = new StringBuilder(anyFromFile ? file + ": invalid configuration" : "invalid --set");
    for (String p : problems) sb.append("\n  - ").append(p);
    throw new ConfigException(sb.toString());
  }
}
