package narrow.model;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Rotary tables against numbers PyTorch 1.13 computed with transformers' formulas
 * (_compute_default_rope_parameters, _compute_llama3_parameters, LlamaRotaryEmbedding.forward),
 * written as float32 bit patterns.
 */
class RotaryTest {
  private static final int[] FIXTURE_LLAMA3 = {0x3f800000, 0x3e4693b0, 0x3d1a08c8, 0x3beef74f,
      0x39e13620, 0x370fc8f8, 0x35df10c4, 0x34ad07a7};
  private static final int[] D256_LLAMA3 = {0x3f800000, 0x3f29e1c6, 0x3ee177bc, 0x3e959ee3,
      0x3e4693b0, 0x3e03c6a0, 0x3daee4ad, 0x3d681e67, 0x3d1a08c8, 0x3ccc6f49, 0x3c87a9c3,
      0x3c340d6d, 0x3beef74f, 0x3b9e9402, 0x3b527720, 0x3ab3d11d, 0x3a0995d2, 0x393b2dd2,
      0x38a3418d, 0x3858ac81, 0x380fc8f8, 0x37bed4f4, 0x377d45c3, 0x3728126b, 0x36df10c4,
      0x369406cb, 0x36447610, 0x36025f34, 0x35ad07a7, 0x3565a54d, 0x351864a7, 0x34ca41b0};
  private static final int[] PLAIN_THETA_1E4_DIM8 = {0x3f800000, 0x3dcccccd, 0x3c23d70a, 0x3a83126f};
  private static final int[] COS_1000 = {0x3f0ff813, 0x3f27cd3b, 0x3f7ee44b, 0x3f0844e5,
      0x3f68be16, 0x3f7ffd98, 0x3f7fffe9, 0x3f7fffff};
  private static final int[] SIN_1000 = {0x3f53ae61, 0xbf4155e0, 0xbdbe5b82, 0x3f58b7d4,
      0x3ed53b45, 0x3c0c69d1, 0x3ad9d658, 0x39a8f979};

  @Test
  void llama3FrequenciesOfTheFixtureMatchTorchBitForBit() throws IOException {
    LlamaConfig c = LlamaConfig.read(Fixtures.model(Fixtures.UNTIED).resolve("config.json"));
    assertBits(FIXTURE_LLAMA3, Rotary.inverseFrequencies(c), 0);
  }

  @Test
  void llama3FrequenciesOfAPresetMatchTorchBitForBit() {
    assertBits(D256_LLAMA3, Rotary.inverseFrequencies(LlamaConfig.preset("d256_l4_h4")), 0);
  }

  @Test
  void plainRopeWhenThereIsNoScaling() {
    LlamaConfig c = new LlamaConfig(10, 32, 64, 1, 4, 4, 8, 1e-5, 10000.0, null, 128, false, null,
        List.of(), null, 0.02, null, Map.of());
    assertBits(PLAIN_THETA_1E4_DIM8, Rotary.inverseFrequencies(c), 0);
  }

  @Test
  void cosAndSinTablesMatchTorchFarOut() throws IOException {
    LlamaConfig c = LlamaConfig.read(Fixtures.model(Fixtures.UNTIED).resolve("config.json"));
    float[][] cs = Rotary.cosSin(Rotary.inverseFrequencies(c), 1001);
    for (int i = 0; i < 16; i++) {
      // float32 cos/sin of the same float32 angle: torch's vectorised kernels are within an ulp
      assertEquals(Float.intBitsToFloat(COS_1000[i % 8]), cs[0][1000 * 16 + i], 2e-7, "cos " + i);
      assertEquals(Float.intBitsToFloat(SIN_1000[i % 8]), cs[1][1000 * 16 + i], 2e-7, "sin " + i);
    }
  }

  @Test
  void unknownRopeTypesAreRefused() {
    LlamaConfig c = new LlamaConfig(10, 32, 64, 1, 4, 4, 8, 1e-5, 10000.0,
        new LlamaConfig.RopeScaling("yarn", 4, 1, 4, 8192, Map.of()), 128, false, null, List.of(),
        null, 0.02, null, Map.of());
    assertThrows(IllegalArgumentException.class, () -> Rotary.inverseFrequencies(c));
  }

  private static void assertBits(int[] expected, float[] actual, int ulps) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      int diff = Math.abs(expected[i] - Float.floatToRawIntBits(actual[i]));
      assertTrue(diff <= ulps, "frequency " + i + ": " + Float.intBitsToFloat(expected[i]) + " vs "
          + actual[i] + " (" + diff + " ulp)");
    }
  }
}
