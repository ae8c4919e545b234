package narrow.engine;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Settings that libtorch's thread pools read from the environment once, when their libraries
 * load: put into this process's environment before libtorch loads, unless the user set them, so
 * that every JVM (a Spark executor launched without narrow's configuration too) starts with them.
 *
 * <ul>
 *   <li>{@code OMP_WAIT_POLICY=PASSIVE}: OpenMP threads sleep when idle instead of spinning; with
 *       the default policy OpenMP's and OpenBLAS's threads spun against each other on 2 cores and
 *       float32 steps ran 1.4× slower.
 *   <li>{@code OPENBLAS_THREAD_TIMEOUT=20}: OpenBLAS's worker threads spin 2^20 cycles (about a
 *       third of a millisecond) for the next matmul before they sleep, instead of 2^28 (about a
 *       tenth of a second). The long spin took a core from libtorch's elementwise kernels between
 *       matmuls: 8.5% of a training step's CPU samples were that loop. In interleaved runs of
 *       d256_l4_h4 on 2 cores, steps took 1.46–1.54 s with the default and 1.36–1.48 s with 4, 12
 *       or 20.
 *   <li>{@code GOMP_SPINCOUNT=10000}: under the passive policy an OpenMP thread sleeps the moment
 *       a parallel region ends, and waking it for the next took 50 to 80 µs here, more than a
 *       [8 × 128,256] float32 subtraction itself (about 25 µs). Spinning 10,000 times first (some
 *       tens of µs) keeps the team awake between the back-to-back kernels of a chunked pass: the
 *       fused distillation pass over [512 × 128,256] went from 0.24 to 0.10 s and the study's
 *       unfused step from 2.95 to 1.94 s, while d256_l4_h4 training steps stayed as they were
 *       (float32 1.64 and 1.66 s, bf16 0.94 and 0.91 s, without and with). Short enough that the
 *       spinning threads do not take the core from OpenBLAS's, as the default policy's did.
 * </ul>
 */
final class NativeEnvironment {
  static final Map<String, String> DEFAULTS;

  static {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("OMP_WAIT_POLICY", "PASSIVE");
    d.put("OPENBLAS_THREAD_TIMEOUT", "20");
    d.put("GOMP_SPINCOUNT", "10000");
    DEFAULTS = Map.copyOf(d);
  }

  private NativeEnvironment() {}

  /** The C library's environment functions (Java's {@code System.getenv} is a copy taken at start). */
  interface LibC extends Library {
    int setenv(String name, String value, int overwrite);

    String getenv(String name);
  }

  private static final LibC LIBC = Native.load("c", LibC.class);

  /** Sets each default the environment does not have yet; the user's values stay. */
  static void applyDefaults() {
    for (Map.Entry<String, String> e : DEFAULTS.entrySet()) {
      if (LIBC.setenv(e.getKey(), e.getValue(), 0) != 0) {
        throw new IllegalStateException("setenv(" + e.getKey() + ") failed: " + Native.getLastError());
      }
    }
  }

  /** The value the process's native code sees, or null. */
  static String get(String name) {
    return LIBC.getenv(name);
  }
}
