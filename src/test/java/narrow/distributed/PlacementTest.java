package narrow.distributed;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Where a run trains, by master: one replica stays in the driver only where the executor is the driver's JVM. */
class PlacementTest {
  @ParameterizedTest(name = "{0}: one replica on executors {1}")
  @CsvSource({
      "local, false",
      "local[2], false",
      "local[*], false",
      "'local[2,4]', false",
      "'local-cluster[2,1,1024]', true",
      "spark://127.0.0.1:7077, true",
      "yarn, true",
      "k8s://https://10.0.0.1:6443, true"})
  void oneReplica(String master, boolean onExecutors) {
    assertEquals(onExecutors, Placement.onExecutors(master, 1));
  }

  @ParameterizedTest(name = "{0}: two replicas on executors")
  @CsvSource({"local", "local[2]", "'local-cluster[2,1,1024]'", "spark://h:7077", "yarn", "k8s://https://h:6443"})
  void twoReplicasAreAlwaysABarrierStage(String master) {
    assertTrue(Placement.onExecutors(master, 2));
  }
}
