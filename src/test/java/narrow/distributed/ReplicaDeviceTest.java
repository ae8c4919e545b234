package narrow.distributed;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;

/** Which device a replica trains on, from the resources Spark assigned its task (no GPU needed). */
class ReplicaDeviceTest {
  @Test
  void theTasksFirstGpuIsItsCudaDevice() {
    assertEquals("cuda:3", DistributedTraining.ReplicaTask.deviceOf(
        Map.of("gpu", new ResourceInformation("gpu", new String[] {"3"}))));
    assertEquals("cuda:1", DistributedTraining.ReplicaTask.deviceOf(
        Map.of("gpu", new ResourceInformation("gpu", new String[] {"1", "2"}))));
  }

  @Test
  void withoutAGpuTheReplicaStaysOnItsDefaultDevice() {
    assertNull(DistributedTraining.ReplicaTask.deviceOf(Map.of()));
    assertNull(DistributedTraining.ReplicaTask.deviceOf(
        Map.of("gpu", new ResourceInformation("gpu", new String[0]))));
    assertNull(DistributedTraining.ReplicaTask.deviceOf(
        Map.of("fpga", new ResourceInformation("fpga", new String[] {"0"}))));
  }
}
