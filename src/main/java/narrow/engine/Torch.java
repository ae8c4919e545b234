package narrow.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

/**
 * libtorch itself: loading its native libraries, its thread pools, and what the machine's CPU can
 * do. Every engine class loads libtorch through {@link #load()} before touching a binding class.
 */
public final class Torch {
  /** The libtorch release the JavaCPP presets bundle. */
  public static final String VERSION = "2.13.0";

  private static volatile boolean loaded;
  private static volatile Blas blas;

  private Torch() {}

  /**
   * Loads libtorch once per JVM. The bundled libraries are extracted to JavaCPP's cache before the
   * first {@code System.load}: loaded one by one straight from the jar, {@code libtorch_cpu.so}
   * resolved its {@code libc10.so} dependency to a system copy (Debian's {@code libtorch1.13},
   * which {@code python3-torch} installs) and the JVM crashed.
   */
  public static void load() {
    if (loaded) return;
    synchronized (Torch.class) {
      if (loaded) return;
      java.io.File[] dirs;
      try {
        dirs = Loader.cacheResources(torch.class, "/org/bytedeco/pytorch/" + Loader.getPlatform() + "/");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot extract libtorch's native libraries to JavaCPP's "
            + "cache (set -Dorg.bytedeco.javacpp.cachedir=DIR to a writable folder)", e);
      }
      NativeEnvironment.applyDefaults(); // read by OpenMP and OpenBLAS as they load
      Blas chosen = Blas.choose();
      if (chosen == Blas.MKL) Blas.loadMkl(dirs[0]); // before libtorch, so that its sgemm_ binds to MKL
      Loader.load(torch.class);
      blas = chosen;
      loaded = true;
    }
  }

  /**
   * Threads of libtorch's intra-op pool (OpenMP) and of the BLAS ({@link Blas#setThreads}), for this
   * process. libtorch's setting does not reach OpenBLAS (a pthreads build with its own pool, sized to every core):
   * a replica given one core multiplied matrices on two (measured: 1024×256×1024 at 187–255
   * GFLOP/s "on one thread", 130–150 once OpenBLAS is told), and two replicas in one executor
   * fought over one pool (scaling efficiency 0.32).
   */
  public static void setThreads(int threads) {
    load();
    if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    torch.set_num_threads(threads);
    blas.setThreads(threads);
  }

  /** The BLAS behind libtorch's float32 matmuls in this process. */
  public static Blas blas() {
    load();
    return blas;
  }

  public static int threads() {
    load();
    return torch.get_num_threads();
  }

  public static boolean cudaAvailable() {
    load();
    return torch.cuda_is_available();
  }

  public static int cudaDeviceCount() {
    load();
    return torch.cuda_is_available() ? torch.cuda_device_count() : 0;
  }

  /**
   * Whether this CPU computes bfloat16 matmuls in hardware (AVX-512 BF16 or AMX): where it does,
   * bf16 autocast is about twice as fast as float32; elsewhere oneDNN emulates it and it is slower.
   */
  public static boolean cpuHasBf16() {
    String info = cpuInfo();
    return info.contains(" avx512_bf16") || info.contains(" amx_bf16");
  }

  /** {@code /proc/cpuinfo}, or "" where there is none (not Linux) or it cannot be read: nothing is assumed. */
  static String cpuInfo() {
    try {
      return Files.readString(Path.of("/proc/cpuinfo"));
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /** TF32 for float32 matmuls on GPUs (Ampere and later), as {@code torch.backends.cuda.matmul.allow_tf32}. */
  public static void allowTf32(boolean on) {
    load();
    torch.globalContext().setFloat32MatmulPrecision(on ? "high" : "highest");
  }
}
