package narrow.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.jna.NativeLibrary;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;

/**
 * A replica's core count reaches both of libtorch's pools, its own and OpenBLAS's; their idle
 * policies reach them as they load.
 */
class TorchThreadsTest {
  @Test
  void idlePoliciesReachTheLibrariesAsTheyLoad() {
    Torch.load();
    for (String name : NativeEnvironment.DEFAULTS.keySet()) {
      String outside = System.getenv(name); // what the JVM was started with
      assertEquals(outside != null ? outside : NativeEnvironment.DEFAULTS.get(name), NativeEnvironment.get(name), name);
    }
    // what OpenBLAS read from the environment when it loaded (0: nothing)
    String library = Loader.getLoadedLibraries().values().stream()
        .filter(path -> path.contains("libopenblas")).findFirst().orElseThrow();
    int timeout = NativeLibrary.getInstance(library).getFunction("openblas_thread_timeout").invokeInt(new Object[0]);
    String expected = System.getenv("OPENBLAS_THREAD_TIMEOUT");
    assertEquals(Integer.parseInt(expected != null ? expected : NativeEnvironment.DEFAULTS.get("OPENBLAS_THREAD_TIMEOUT")),
        timeout);
  }

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
