package narrow.distributed;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/**
 * Task slots as each cluster manager allocates them, the advice that names that manager's
 * settings, and the bounded wait for executors (the wait on a real cluster: StandaloneClusterTest).
 */
class ClusterManagerTest {
  private static SparkConf conf(String... kv) {
    SparkConf c = new SparkConf(false);
    for (int i = 0; i < kv.length; i += 2) c.set(kv[i], kv[i + 1]);
    return c;
  }

  @Test
  void mastersMapToTheirManagers() {
    assertEquals(ClusterManager.LOCAL, ClusterManager.of("local[4]"));
    assertEquals(ClusterManager.LOCAL, ClusterManager.of("local-cluster[2,1,1024]"));
    assertEquals(ClusterManager.STANDALONE, ClusterManager.of("spark://127.0.0.1:7077"));
    assertEquals(ClusterManager.YARN, ClusterManager.of("yarn"));
    assertEquals(ClusterManager.KUBERNETES, ClusterManager.of("k8s://https://api:6443"));
    assertEquals(ClusterManager.OTHER, ClusterManager.of("mesos://m:5050"));
  }

  @Test
  void localSlotsAreTheCoresOverTaskCpus() {
    assertEquals(OptionalInt.of(4), ClusterManager.LOCAL.plannedSlots("local[4]", conf()));
    assertEquals(OptionalInt.of(2), ClusterManager.LOCAL.plannedSlots("local[4, 3]", conf("spark.task.cpus", "2")));
    assertEquals(OptionalInt.of(1), ClusterManager.LOCAL.plannedSlots("local", conf()));
    assertEquals(OptionalInt.of(6), ClusterManager.LOCAL.plannedSlots("local-cluster[3, 2, 1024]", conf()));
    assertEquals(OptionalInt.of(Runtime.getRuntime().availableProcessors()),
        ClusterManager.LOCAL.plannedSlots("local[*]", conf()));
  }

  @Test
  void standaloneIsBoundedBySparkCoresMaxOnlyAndIgnoresExecutorInstances() {
    ClusterManager s = ClusterManager.STANDALONE;
    String m = "spark://h:7077";
    // unset spark.cores.max: every free core of the cluster, which only registering executors tell
    assertEquals(OptionalInt.empty(), s.plannedSlots(m, conf("spark.executor.instances", "1")));
    // spark.executor.cores unset: an executor takes all of a worker's cores, the total up to cores.max
    assertEquals(OptionalInt.of(3), s.plannedSlots(m, conf("spark.cores.max", "3")));
    assertEquals(OptionalInt.of(1), s.plannedSlots(m, conf("spark.cores.max", "3", "spark.task.cpus", "2")));
    // executors of 2 cores while cores.max allows: 5 / 2 = 2 executors of 2 tasks
    assertEquals(OptionalInt.of(4), s.plannedSlots(m, conf("spark.cores.max", "5", "spark.executor.cores", "2")));
    assertEquals(OptionalInt.of(2), s.plannedSlots(m, conf("spark.cores.max", "5", "spark.executor.cores", "2",
        "spark.task.cpus", "2")));
  }

  @Test
  void yarnAndKubernetesCountInstancesTimesCoresWithTheirDefaults() {
    for (ClusterManager m : new ClusterManager[] {ClusterManager.YARN, ClusterManager.KUBERNETES}) {
      assertEquals(OptionalInt.of(2), m.plannedSlots("yarn", conf()), m + ": 2 executors of 1 core by default");
      assertEquals(OptionalInt.of(12), m.plannedSlots("yarn", conf("spark.executor.instances", "3",
          "spark.executor.cores", "8", "spark.task.cpus", "2")));
      // 1 GPU per executor, 1 per task: one task per executor however many cores
      assertEquals(OptionalInt.of(3), m.plannedSlots("yarn", conf("spark.executor.instances", "3",
          "spark.executor.cores", "8", "spark.executor.resource.gpu.amount", "1", "spark.task.resource.gpu.amount", "1")));
    }
  }

  @Test
  void theAdviceNamesTheSettingsOfThatManager() {
    String standalone = ClusterManager.STANDALONE.advice(2, conf());
    assertTrue(standalone.contains("spark.cores.max >= 2") && standalone.contains("SPARK_WORKER_CORES"), standalone);
    assertFalse(standalone.contains("spark.executor.instances"), standalone);
    String yarn = ClusterManager.YARN.advice(2, conf());
    assertTrue(yarn.contains("spark.executor.instances (--num-executors) x spark.executor.cores") && yarn.contains("YARN"),
        yarn);
    assertFalse(yarn.contains("spark.cores.max"), yarn);
    String k8s = ClusterManager.KUBERNETES.advice(2, conf());
    assertTrue(k8s.contains("spark.executor.instances x spark.executor.cores") && k8s.contains("quota"), k8s);
    assertEquals("set spark.master to local[4] or more (2 replicas x spark.task.cpus 2)",
        ClusterManager.LOCAL.advice(2, conf("spark.task.cpus", "2")));
    assertTrue(ClusterManager.YARN.advice(2, conf("spark.task.resource.gpu.amount", "1"))
        .contains("spark.executor.resource.gpu.amount / spark.task.resource.gpu.amount"));
  }

  @Test
  void theWaitEndsWhenEnoughSlotsRegisterOrAtItsBoundAndReportsMeanwhile() {
    AtomicInteger polls = new AtomicInteger();
    List<String> reports = new ArrayList<>();
    int got = BarrierSlots.await(() -> polls.incrementAndGet() >= 4 ? 2 : 0, 2, Duration.ofSeconds(60),
        Duration.ofMillis(400), (have, waited) -> reports.add(have + "@" + waited.toMillis()));
    assertEquals(2, got, "the slots registered on the 4th look");
    assertEquals(4, polls.get());
    assertFalse(reports.isEmpty(), "a progress report while waiting");
    assertTrue(reports.get(0).startsWith("0@"), reports.toString());

    long start = System.nanoTime();
    assertEquals(1, BarrierSlots.await(() -> 1, 2, Duration.ofMillis(300), Duration.ofSeconds(5), (h, w) -> {}));
    assertTrue(System.nanoTime() - start >= Duration.ofMillis(300).toNanos(), "waited its bound");
    assertEquals(0, BarrierSlots.await(() -> 0, 2, Duration.ZERO, Duration.ofSeconds(5), (h, w) -> fail()),
        "no wait at all with a bound of 0");
  }
}
