package narrow.distributed;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * How a pipeline reaches Spark: a session when it runs a Spark job (the caller's properties, or
 * spark-submit's), and the Hadoop settings that reach remote locations when it runs none.
 */
public interface SparkAccess {
  /** A session for one job; the caller ends it with {@link #release}. */
  SparkSession session(String appName);

  /**
   * The {@code spark.master} a session would have, known without starting one: it decides where
   * a run trains and which paths its executors can read.
   */
  String master();

  /**
   * Ends a session {@link #session} gave: stops it, unless this access shares one session across
   * the jobs of a whole application ({@code narrow run}: on a cluster a stopped context ends the
   * application).
   */
  default void release(SparkSession session) {
    session.close();
  }

  /** The {@code spark.hadoop.*} settings, for s3a:// and other remote paths without a session. */
  Configuration hadoopConfiguration();
}
