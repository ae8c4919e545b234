package narrow.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A replica's core count reaches both of libtorch's pools: its own and OpenBLAS's. */
class TorchThreadsTest {
  @Test
  void threadsReachOpenBlasToo() {
    int before = Torch.threads();
    try {
      Torch.setThreads(1);
      assertEquals(1, Torch.threads());
      assertEquals(1, org.bytedeco.openblas.global.openblas.blas_get_num_threads());
      Torch.setThreads(2);
      assertEquals(2, org.bytedeco.openblas.global.openblas.blas_get_num_threads());
    } finally {
      Torch.setThreads(before);
    }
  }
}
