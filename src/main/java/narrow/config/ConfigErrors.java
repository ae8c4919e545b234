package narrow.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Collects every problem in a config so the user fixes them in one pass, not one per run. */
public final class ConfigErrors {
  private final Path file;
  private final List<String> problems = new ArrayList<>();

  public ConfigErrors(Path file) {
    this.file = file;
  }

  public void add(String key, String problem) {
    problems.add("key '" + key + "': " + problem);
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
    if (path != null && !Paths.isRemote(path) && !Files.exists(Paths.local(path))) {
      add(key, "path does not exist: " + path);
    }
  }

  public void throwIfAny() {
    if (problems.isEmpty()) return;
    StringBuilder sb = new StringBuilder(file.toString()).append(": invalid configuration");
    for (String p : problems) sb.append("\n  - ").append(p);
    throw new ConfigException(sb.toString());
  }
}
