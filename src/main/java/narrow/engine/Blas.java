package narrow.engine;

import com.sun.jna.NativeLibrary;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.Loader;

/**
 * The BLAS behind libtorch's float32 matmuls. The presets build libtorch against OpenBLAS;
 * PyTorch's own wheels link Intel's MKL. With MKL float32 training steps ran 8–10% faster (bench
 * train, eager attention), and MKL, unlike the bundled OpenBLAS (a pthreads build), runs
 * single-threaded when called from inside libtorch's OpenMP loops: CPU flash attention (SDPA) calls
 * the BLAS there, and OpenBLAS's threads then fought libtorch's (SDPA's forward and backward 2–3×
 * slower).
 *
 * <p>MKL (Maven Central's {@code org.bytedeco:mkl} redistributable, with its GNU OpenMP threading
 * layer on libtorch's own {@code libgomp}) is loaded with global symbol visibility before libtorch,
 * so that libtorch's {@code sgemm_} binds to it. {@code NARROW_BLAS=openblas|mkl} (or
 * {@code -Dnarrow.blas=}) chooses; the default is MKL on Intel CPUs and OpenBLAS elsewhere
 * (MKL's speed on other CPUs was not measured).
 */
public enum Blas {
  MKL,
  OPENBLAS;

  static final String PROPERTY = "narrow.blas";
  static final String VARIABLE = "NARROW_BLAS";
  private static final String MKL_RESOURCES = "/org/bytedeco/mkl/" + Loader.getPlatform() + "/";
  /** In load order: the threading layer and core before the interface, the CPU-specific kernels last. */
  private static final List<String> MKL_LIBRARIES = List.of("libmkl_core.so.3", "libmkl_gnu_thread.so.3",
      "libmkl_intel_lp64.so.3", "libmkl_def.so.3", "libmkl_mc3.so.3", "libmkl_avx2.so.3", "libmkl_avx512.so.3",
      "libmkl_avx10.so.3");

  private static volatile NativeLibrary mklInterface;

  /** The library's name and version as the bench and logs print it. */
  public String label() {
    return this == MKL ? mklVersion() : org.bytedeco.openblas.global.openblas.OPENBLAS_VERSION.trim();
  }

  /** "MKL 2026.1" from MKL's own version string. */
  private static String mklVersion() {
    com.sun.jna.Memory buffer = new com.sun.jna.Memory(256);
    buffer.clear();
    mklInterface.getFunction("MKL_Get_Version_String").invokeVoid(new Object[] {buffer, 255});
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("Version (\\S+)").matcher(buffer.getString(0));
    return "MKL" + (m.find() ? " " + m.group(1) : "");
  }

  /** What the setting asks for, else the machine's default; a misspelt setting is an error naming it. */
  static Blas choose() {
    String setting = System.getProperty(PROPERTY);
    String where = "-D" + PROPERTY;
    if (setting == null || setting.isBlank()) {
      setting = System.getenv(VARIABLE);
      where = VARIABLE;
    }
    if (setting == null || setting.isBlank()) return intelCpu() && mklBundled() ? MKL : OPENBLAS;
    return switch (setting.trim().toLowerCase(Locale.ROOT)) {
      case "mkl" -> MKL;
      case "openblas" -> OPENBLAS;
      default -> throw new IllegalArgumentException(where + " must be mkl or openblas, not '" + setting + "'");
    };
  }

  /**
   * Makes MKL the BLAS of the libtorch about to load from {@code torchDir} (its extracted native
   * libraries): libtorch's OpenMP runtime first, then MKL's libraries, all with global visibility.
   */
  static void loadMkl(File torchDir) {
    File[] dirs;
    try {
      dirs = Loader.cacheResources(Blas.class, MKL_RESOURCES);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract MKL's native libraries to JavaCPP's cache", e);
    }
    if (dirs == null || dirs.length == 0) {
      throw new IllegalStateException(VARIABLE + "=mkl, but org.bytedeco:mkl (linux-x86_64-redist) is not on the "
          + "classpath");
    }
    Path mkl = dirs[0].toPath();
    // MKL's GNU threading layer finds libgomp's symbols in the global scope: libtorch's own copy
    Loader.loadGlobal(torchDir.toPath().resolve("libgomp.so.1").toString());
    for (String library : MKL_LIBRARIES) {
      Path file = mkl.resolve(library);
      if (!Files.exists(file)) throw new IllegalStateException("MKL library missing from the jar: " + file);
      Loader.loadGlobal(file.toString());
    }
    mklInterface = NativeLibrary.getInstance(mkl.resolve("libmkl_intel_lp64.so.3").toString());
  }

  /**
   * OpenBLAS's threads (loaded either way: libtorch links it, and under MKL it still serves what MKL
   * does not export) and MKL's (its GNU layer takes OpenMP's count per thread, so set it
   * process-wide too).
   */
  void setThreads(int threads) {
    org.bytedeco.openblas.global.openblas.blas_set_num_threads(threads);
    if (this == MKL) mklInterface.getFunction("MKL_Set_Num_Threads").invokeVoid(new Object[] {threads});
  }

  int threads() {
    return this == MKL ? mklInterface.getFunction("MKL_Get_Max_Threads").invokeInt(new Object[0])
        : org.bytedeco.openblas.global.openblas.blas_get_num_threads();
  }

  private static boolean mklBundled() {
    return Blas.class.getResource(MKL_RESOURCES + "libmkl_core.so.3") != null;
  }

  private static boolean intelCpu() {
    return Torch.cpuInfo().contains("GenuineIntel");
  }
}
