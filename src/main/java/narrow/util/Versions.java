package narrow.util;

import java.util.LinkedHashMap;
import java.util.Map;

/** What a run's metadata records of the software that made it. */
public final class Versions {
  private Versions() {}

  /** narrow's version (the jar's, or "development build"), Java's and Spark's. */
  public static Map<String, String> of() {
    Map<String, String> v = new LinkedHashMap<>();
    String narrow = Versions.class.getPackage().getImplementationVersion();
    v.put("narrow", narrow == null ? "development build" : narrow);
    v.put("java", System.getProperty("java.version"));
    v.put("spark", org.apache.spark.package$.MODULE$.SPARK_VERSION());
    return v;
  }
}
