package narrow.cli;

import java.nio.file.Path;
import narrow.distributed.SparkAccess;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

/** {@code --spark-conf FILE}: the Spark properties a command runs with outside spark-submit. */
final class SparkOptions implements SparkAccess {
  @Option(names = "--spark-conf", paramLabel = "FILE",
      description = "Spark properties file when not under spark-submit (default: conf/spark/local.conf)")
  Path propertiesFile;

  @Override
  public SparkSession session(String appName) {
    return LocalSpark.session(appName, propertiesFile);
  }

  @Override
  public String master() {
    return LocalSpark.master(propertiesFile);
  }

  /** How to reach s3a:// and other remote paths without a session: its spark.hadoop.* settings. */
  @Override
  public Configuration hadoopConfiguration() {
    return LocalSpark.hadoopConfiguration(propertiesFile);
  }
}
