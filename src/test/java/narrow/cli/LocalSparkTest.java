package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import narrow.util.UserError;
import org.junit.jupiter.api.Test;

class LocalSparkTest {
  /** Under spark-submit (spark.master already set for the driver) a --spark-conf file would be ignored: it is refused. */
  @Test
  void aPropertiesFileUnderSparkSubmitIsRefused() {
    String before = System.getProperty("spark.master");
    System.setProperty("spark.master", "spark://127.0.0.1:7077");
    try {
      UserError e = assertThrows(UserError.class,
          () -> LocalSpark.hadoopConfiguration(Path.of("conf/spark/no-such.conf")));
      assertTrue(e.getMessage().contains("--properties-file conf/spark/no-such.conf")
          && e.getMessage().contains("spark://127.0.0.1:7077"), e.getMessage());
      assertNotNull(LocalSpark.hadoopConfiguration(null), "without the option spark-submit's settings are taken");
    } finally {
      if (before == null) System.clearProperty("spark.master");
      else System.setProperty("spark.master", before);
    }
  }
}
