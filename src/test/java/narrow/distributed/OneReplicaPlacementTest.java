package narrow.distributed;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import narrow.config.DistributedConfig;
import narrow.config.TrainingPlan;
import narrow.train.ModelSource;
import narrow.train.RunFolder;
import narrow.train.TrainSpec;
import narrow.train.TrainingHooks;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link TrainingJob} sends one replica where {@link Placement} says: into a Spark task when the
 * master is a cluster's, into this JVM on local[N]. The cluster's master is only named here (the
 * session that runs the task is local[1]); the standalone-cluster test runs a real one.
 */
@narrow.Slow
class OneReplicaPlacementTest {
  static final Queue<String> BUILT_IN = new ConcurrentLinkedQueue<>();
  @TempDir Path tmp;

  /** Spark as a run reaches it, with the master it would name. */
  record Access(String master) implements SparkAccess {
    @Override
    public SparkSession session(String appName) {
      return SparkSession.builder().master("local[1]").appName(appName).config("spark.ui.enabled", "false")
          .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    }

    @Override
    public Configuration hadoopConfiguration() {
      return new Configuration();
    }
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource({"spark://cluster.invalid:7077, in a task", "local[2], in the driver"})
  void oneReplicaTrainsWhereThePlacementSays(String master, String where) throws Exception {
    Path data = narrow.train.TestShardsAccess.learnable(tmp.resolve("data"), 318, 318, 24, true, 96, 10, 1);
    TrainSpec spec = TrainSpec.of(new ModelSource.Preset("d16_l1_h2", 1), data.toString(),
        DistributedTrainingTest.args(tmp.resolve("runs/one"), 3, 2, 1));
    // shared: the cluster is this machine
    TrainingPlan plan = new TrainingPlan("one", spec, new DistributedConfig(1, 60, 5, null, true, null), null, null);
    BUILT_IN.clear();
    TrainingJob.run(plan, null, RunFolder.Start.FRESH, new Access(master), (rank, attempt) -> {
      BUILT_IN.add(TaskContext.get() == null ? "in the driver" : "in a task");
      return TrainingHooks.none();
    });
    assertEquals(java.util.List.of(where), java.util.List.copyOf(BUILT_IN));
    assertTrue(Files.exists(tmp.resolve("runs/one/final_model/model.safetensors")));
  }
}
