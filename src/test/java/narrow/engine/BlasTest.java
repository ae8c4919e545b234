package narrow.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Which BLAS libtorch's matmuls reach: asked of MKL itself, whose verbose mode reports every call
 * it serves (a process of its own, since MKL writes to the C library's stdout).
 */
@narrow.Slow
class BlasTest {
  /** A float32 matmul through libtorch, then the BLAS in use on stdout. */
  public static void main(String[] args) {
    try (TensorScope scope = new TensorScope()) {
      org.bytedeco.pytorch.Tensor a = Tensors.ones(Device.CPU, 64, 32);
      org.bytedeco.pytorch.Tensor b = Tensors.ones(Device.CPU, 48, 32);
      float[] out = Tensors.toFloats(Ops.linear(a, b));
      System.out.println("result " + out[0] + " " + out.length);
      System.out.println("blas " + Torch.blas());
    }
  }

  @Test
  void libtorchsMatmulsRunInMklOnIntelCpus() throws Exception {
    String output = run("mkl");
    assertTrue(output.contains("result 32.0 3072"), output);
    assertTrue(output.contains("blas MKL"), output);
    assertTrue(output.contains("MKL_VERBOSE SGEMM"), "libtorch's sgemm_ did not reach MKL:\n" + output);
  }

  @Test
  void openBlasOnRequest() throws Exception {
    String output = run("openblas");
    assertTrue(output.contains("result 32.0 3072"), output);
    assertTrue(output.contains("blas OPENBLAS"), output);
    assertFalse(output.contains("MKL_VERBOSE SGEMM"), output);
  }

  @Test
  void aMisspeltSettingIsNamed() throws Exception {
    String output = run("mlk");
    assertTrue(output.contains("NARROW_BLAS must be mkl or openblas, not 'mlk'"), output);
  }

  @Test
  void threadsReachMkl() {
    // MKL is the default BLAS on Intel CPUs only; elsewhere there is nothing to check
    org.junit.jupiter.api.Assumptions.assumeTrue(Torch.blas() == Blas.MKL, "MKL is not this JVM's BLAS: " + Torch.blas());
    int before = Torch.threads();
    try {
      Torch.setThreads(1);
      assertEquals(1, Blas.MKL.threads());
      Torch.setThreads(2);
      assertEquals(2, Blas.MKL.threads());
    } finally {
      Torch.setThreads(before);
    }
  }

  private static String run(String blas) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), BlasTest.class.getName()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("NARROW_BLAS", blas);
    pb.environment().put("MKL_VERBOSE", "1");
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM did not end");
    return output;
  }
}
