package narrow.cli;

import java.util.Arrays;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;

/**
 * Retry limits under which an {@code s3a://} store that cannot be reached fails in seconds.
 * Hadoop 3.3.4's own (core-default.xml) let the SDK try each request 21 times inside each of
 * S3A's 8 tries: a refused port or an unknown host hung a command for minutes before any error.
 * S3A retries throttling on its own ({@code fs.s3a.retry.throttle.*}), so the SDK's retries add
 * nothing but the wait.
 */
final class S3aDefaults {
  static final Map<String, String> VALUES = Map.of(
      "fs.s3a.attempts.maximum", "1",
      "fs.s3a.retry.limit", "3",
      "fs.s3a.retry.interval", "500ms",
      "fs.s3a.connection.establish.timeout", "5000");

  private S3aDefaults() {}

  /**
   * Sets each default as a {@code spark.hadoop.*} property where neither the Spark properties nor
   * the Hadoop configuration files (core-site.xml) set that key, so that a user's setting wins.
   */
  static void applyTo(SparkConf conf) {
    Configuration files = new Configuration();
    VALUES.forEach((key, value) -> {
      if (!conf.contains("spark.hadoop." + key) && !setInSiteFiles(files, key)) {
        conf.set("spark.hadoop." + key, value);
      }
    });
  }

  /** Whether a file other than Hadoop's own core-default.xml sets {@code key}. */
  private static boolean setInSiteFiles(Configuration files, String key) {
    String[] sources = files.getPropertySources(key);
    return sources != null && !Arrays.stream(sources).allMatch("core-default.xml"::equals);
  }
}
