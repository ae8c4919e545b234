package narrow.data;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class SplitAssignerTest {
  @Test
  void sameKeySameSplitAndKnownValue() {
    String key = SplitAssigner.key("cpython", "Lib/json/__init__.py");
    assertEquals("cpython/Lib/json/__init__.py", key);
    assertEquals(SplitAssigner.unitHash(key), SplitAssigner.unitHash(key));
    // pinned: python3 -c "import hashlib;print((int.from_bytes(hashlib.sha256(b'a/b.py').digest()[:8],'big')>>11)/2**53)"
    assertEquals(PINNED_A_B_PY, SplitAssigner.unitHash("a/b.py"), 0.0);
  }

  static final double PINNED_A_B_PY = 0.849003464021878;

  @Test
  void fractionIsRespectedOnManyKeys() {
    int validation = 0;
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      if (SplitAssigner.splitOf("repo" + (i % 37) + "/file" + i + ".py", 0.1).equals(SplitAssigner.VALIDATION)) validation++;
    }
    assertEquals(0.1, validation / (double) n, 0.01);
  }

  @Test
  void thresholdIsMonotone() {
    // a document in validation at 5% is in validation at 10%: growing the fraction only adds
    for (int i = 0; i < 2000; i++) {
      String k = "r/f" + i;
      if (SplitAssigner.splitOf(k, 0.05).equals(SplitAssigner.VALIDATION)) {
        assertEquals(SplitAssigner.VALIDATION, SplitAssigner.splitOf(k, 0.10));
      }
      assertEquals(SplitAssigner.TRAIN, SplitAssigner.splitOf(k, 0.0));
    }
  }
}
