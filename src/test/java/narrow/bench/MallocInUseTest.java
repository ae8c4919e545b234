package narrow.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import org.junit.jupiter.api.Test;

/** The growth measure sees a libtorch tensor's memory while it lives and not after it is freed. */
class MallocInUseTest {
  @Test
  void countsATensorWhileItLives() {
    long before = MallocInUse.kib();
    assertTrue(before > 0, "glibc's mallinfo2 answers in the test JVM: " + before);
    long during;
    try (TensorScope scope = new TensorScope()) {
      Tensors.zeros(Device.CPU, 16L << 20); // 64 MiB of float32
      during = MallocInUse.kib();
    }
    long after = MallocInUse.kib();
    // the count is the whole process's: other threads of this test JVM (Spark's, earlier tests'
    // native frees) may move it by a few MiB meanwhile (seen: 1.5 MiB), so 56 of the 64 MiB must show
    assertTrue(during - before >= 56 * 1024, "a 64 MiB tensor: " + before + " -> " + during + " KiB");
    assertTrue(during - after >= 56 * 1024, "freed: " + during + " -> " + after + " KiB");
  }
}
