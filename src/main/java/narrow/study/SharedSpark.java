package narrow.study;

import narrow.distributed.SparkAccess;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * One Spark session for every run of the grid: the jobs' sessions are left open when a job ends
 * and closed with the runner, so the grid is one Spark application (on a cluster, a stopped
 * context would end the application after the first run). Started by the first run that needs
 * Spark; none is started when no run does.
 */
public final class SharedSpark implements SparkAccess, AutoCloseable {
  private final SparkAccess spark;
  private final String appName;
  private SparkSession session;

  public SharedSpark(SparkAccess spark, String appName) {
    this.spark = spark;
    this.appName = appName;
  }

  @Override
  public synchronized SparkSession session(String jobName) {
    // a context a failed job stopped is no use to the next run
    if (session == null || session.sparkContext().isStopped()) session = spark.session(appName);
    return session;
  }

  @Override
  public void release(SparkSession s) {
    // kept for the next run
  }

  @Override
  public String master() {
    return spark.master();
  }

  @Override
  public Configuration hadoopConfiguration() {
    return spark.hadoopConfiguration();
  }

  @Override
  public synchronized void close() {
    if (session != null) spark.release(session);
    session = null;
  }
}
