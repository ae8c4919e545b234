package narrow.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import narrow.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * The Spark session of a command. Under spark-submit the session takes what spark-submit was
 * given; run directly (jobs/narrow), it reads a Spark properties file, {@code conf/spark/local.conf}
 * by default: the same file spark-submit would take with {@code --properties-file}.
 */
final class LocalSpark {
  static final Path DEFAULT_PROPERTIES = Home.path("conf", "spark", "local.conf");

  private LocalSpark() {}

  static SparkSession session(String appName, Path propertiesFile) {
    return SparkSession.builder().config(conf(appName, propertiesFile)).getOrCreate();
  }

  /** The master a session of these Spark properties would have: spark-submit's, the file's, or local[*]. */
  static String master(Path propertiesFile) {
    return conf("narrow", propertiesFile).get("spark.master");
  }

  /**
   * The Hadoop configuration a session of these Spark properties would have, without starting
   * one: Hadoop's defaults plus every {@code spark.hadoop.*} property, prefix dropped (what Spark
   * does for its own).
   */
  static Configuration hadoopConfiguration(Path propertiesFile) {
    Configuration hadoop = new Configuration();
    for (Tuple2<String, String> kv : conf("narrow", propertiesFile).getAllWithPrefix("spark.hadoop.")) {
      hadoop.set(kv._1(), kv._2());
    }
    return hadoop;
  }

  /**
   * spark-submit's properties when there are any, else those of the properties file; with
   * {@link S3aDefaults} where they set none of their keys.
   */
  private static SparkConf conf(String appName, Path propertiesFile) {
    SparkConf conf = new SparkConf(true).setAppName(appName);
    if (conf.contains("spark.master") && propertiesFile != null) {
      // spark-submit has made the session's properties already: a file here would be ignored
      throw new UserError("--spark-conf " + propertiesFile + " applies outside spark-submit only; under "
          + "spark-submit (spark.master " + conf.get("spark.master") + ") give the file to spark-submit "
          + "with --properties-file " + propertiesFile);
    }
    if (!conf.contains("spark.master")) {
      Path file = propertiesFile != null ? propertiesFile : DEFAULT_PROPERTIES;
      if (Files.isRegularFile(file)) {
        for (var e : read(file).entrySet()) {
          conf.setIfMissing(e.getKey().toString(), e.getValue().toString().trim());
        }
      } else if (propertiesFile != null) {
        throw new UserError("Spark properties file not found: " + file);
      }
      conf.setIfMissing("spark.master", "local[*]");
    }
    S3aDefaults.applyTo(conf);
    return conf;
  }

  private static Properties read(Path file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw new UserError("cannot read Spark properties file " + file + ": " + e.getMessage(), e);
    }
    return p;
  }
}
