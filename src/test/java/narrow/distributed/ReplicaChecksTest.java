package narrow.distributed;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import narrow.engine.ProcessGroup;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.train.ReplicaConsistency;
import narrow.util.UserError;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.junit.jupiter.api.Test;

/**
 * The guards around replicas: drifted parameters stop every replica (two real ranks of a Gloo
 * group on loopback), and a barrier stage is refused, before it starts, under dynamic allocation
 * (a real local Spark context).
 */
class ReplicaChecksTest {

  @Test
  void replicasThatDriftedApartStopWithTheStepAndTheReplicaNamed() throws Exception {
    assertEquals(List.of("agree", "agree"), checkTwoRanks(0f));
    List<String> drifted = checkTwoRanks(1e-6f);
    for (String outcome : drifted) {
      assertTrue(outcome.startsWith("step 7: replica 1's parameters differ from replica 0's"), outcome);
      assertTrue(outcome.contains("drifted apart"), outcome);
    }
  }

  /** Two ranks whose parameter "w" differs by {@code drift} at rank 1; what each rank's check said. */
  private static List<String> checkTwoRanks(float drift) throws Exception {
    AtomicInteger port = new AtomicInteger(-1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<String>> ranks = new ArrayList<>();
      for (int rank = 0; rank < 2; rank++) {
        int r = rank;
        ranks.add(pool.submit(() -> {
          try (ProcessGroup group = ProcessGroup.joinInProcess(r, 2, port, Duration.ofSeconds(60));
              TensorScope scope = new TensorScope()) {
            float[] w = {0.5f, -1.25f, 2f, 3.5f};
            if (r == 1) w[2] += drift;
            ReplicaConsistency.verify(7, Map.of("w", Tensors.floats(w, 2, 2)), new GlooReplicas(group, 1, false));
            return "agree";
          } catch (IllegalStateException e) {
            return e.getMessage();
          }
        }));
      }
      List<String> outcomes = new ArrayList<>();
      for (Future<String> f : ranks) outcomes.add(f.get());
      return outcomes;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aBarrierStageIsRefusedUnderDynamicAllocationAndCountsLocalSlots() {
    SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("ReplicaChecksTest")
        .set("spark.ui.enabled", "false").set("spark.dynamicAllocation.enabled", "true");
    SparkContext sc = new SparkContext(conf);
    try {
      UserError e = assertThrows(UserError.class, () -> BarrierSlots.check(sc, 2, java.time.Duration.ZERO));
      assertTrue(e.getMessage().contains("dynamic allocation does not support: set "
          + "spark.dynamicAllocation.enabled=false"), e.getMessage());
      assertEquals(2, BarrierSlots.liveSlots(sc), "local[2]: two task slots");
    } finally {
      sc.stop();
    }
  }
}
