package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * conf/spark/'s cluster property files, read as spark-submit reads them (java.util.Properties):
 * what a barrier stage of replicas needs on every cluster manager. Their native memory settings:
 * NativeMemorySettingsTest.
 */
class ClusterPropertyFilesTest {
  private static final List<String> CLUSTER_FILES =
      List.of("standalone-cpu.conf", "yarn-cpu.conf", "emr-gpu.conf", "dataproc-gpu.conf");
  private static final String NATIVES = "/opt/narrow/lib/*";

  @Test
  void everyClusterFileRunsOneReplicaPerExecutorAndWaitsForItsSlots() throws IOException {
    for (String name : CLUSTER_FILES) {
      Properties p = load(name);
      assertEquals("false", p.getProperty("spark.dynamicAllocation.enabled"), name + ": barrier stages need it off");
      assertNotNull(p.getProperty("spark.executor.cores"), name);
      assertEquals(p.getProperty("spark.executor.cores"), p.getProperty("spark.task.cpus"),
          name + ": one replica's task takes its executor's cores");
      assertEquals("1.0", p.getProperty("spark.scheduler.minRegisteredResourcesRatio"),
          name + ": SparkContext waits for every executor");
      assertNotNull(p.getProperty("spark.scheduler.maxRegisteredResourcesWaitingTime"), name);
      assertNotNull(p.getProperty("spark.scheduler.barrier.maxConcurrentTasksCheck.interval"), name);
      assertNotNull(p.getProperty("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures"), name);
      for (String who : List.of("driver", "executor")) {
        String classPath = p.getProperty("spark." + who + ".extraClassPath", "");
        assertEquals(NATIVES, classPath.split(":")[0], name + ": the natives installed per node, first");
      }
      if (name.startsWith("standalone")) {
        assertNotNull(p.getProperty("spark.cores.max"), name + ": standalone sizes an application by it");
      } else {
        assertNotNull(p.getProperty("spark.executor.instances"), name);
        assertNotNull(p.getProperty("spark.executor.memoryOverhead"), name + ": libtorch's tensors count against it");
      }
    }
  }

  @Test
  void theGpuFilesGiveEachReplicaOneGpu() throws IOException {
    for (String name : List.of("emr-gpu.conf", "dataproc-gpu.conf")) {
      Properties p = load(name);
      assertEquals("1", p.getProperty("spark.executor.resource.gpu.amount"), name);
      assertEquals("1", p.getProperty("spark.task.resource.gpu.amount"), name);
      assertNotNull(p.getProperty("spark.executor.resource.gpu.discoveryScript"), name);
    }
  }

  private static Properties load(String name) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(Path.of("conf", "spark", name))) {
      p.load(r);
    }
    return p;
  }
}
