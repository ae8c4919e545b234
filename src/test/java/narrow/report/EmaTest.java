package narrow.report;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Against pandas' ewm(alpha).mean() (adjust=True), worked out by hand from its weights. */
class EmaTest {
  @Test
  void weighsEachValueByOneMinusAlphaToTheItsAgeOverTheSumOfWeights() {
    // alpha 0.01, the study's: (0.99·1 + 2) / 1.99 and (0.99²·1 + 0.99·2 + 3) / (1 + 0.99 + 0.99²)
    assertArrayEquals(new double[] {1, 2.99 / 1.99, 5.9601 / 2.9701},
        Ema.of(new double[] {1, 2, 3}, 0.01), 1e-12);
    // alpha 0.5 leans on the newest: (3 + 0.5·2 + 0.25·1) / 1.75
    assertArrayEquals(new double[] {1, 2.5 / 1.5, 4.25 / 1.75}, Ema.of(new double[] {1, 2, 3}, 0.5), 1e-12);
  }

  @Test
  void aMissingValueAgesTheOthersAndRepeatsTheMean() {
    // pandas' ignore_na=False: weights by position, NaN included; 29/11 = (3 + 0.25·2 + 0.125·1) / 1.375
    double nan = Double.NaN;
    assertArrayEquals(new double[] {1, 5 / 3.0, 5 / 3.0, 29 / 11.0, 7},
        Ema.of(new double[] {1, 2, nan, 3, 10}, 0.5), 1e-12);
    double[] leading = Ema.of(new double[] {nan, 4, 2}, 0.5);
    assertTrue(Double.isNaN(leading[0]));
    assertEquals(4, leading[1], 0);
    assertEquals(4 / 1.5, leading[2], 1e-12);
  }

  @Test
  void alphaOneIsTheValuesThemselvesAndOutsideTheRangeIsRefused() {
    assertArrayEquals(new double[] {5, 1, 3}, Ema.of(new double[] {5, 1, 3}, 1), 0);
    assertEquals(0, Ema.of(new double[0], 0.01).length);
    assertThrows(IllegalArgumentException.class, () -> Ema.of(new double[] {1}, 0));
    assertThrows(IllegalArgumentException.class, () -> Ema.of(new double[] {1}, 1.5));
  }
}
