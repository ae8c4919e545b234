package narrow.report;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class LogTicksTest {
  // a figure's plot is about 640 pixels wide and 530 high; labels want 55 and 28 pixels
  @Test
  void theDensestOfOneTwoFiveAndMoreDigitsWhoseLabelsDoNotTouch() {
    assertEquals(List.of(10.0, 20.0, 30.0, 50.0, 100.0, 200.0, 300.0), LogTicks.values(10, 400, 640, 55), "steps");
    assertEquals(List.of(2e4, 3e4, 5e4, 1e5, 2e5, 3e5), LogTicks.values(2e4, 3e5, 640, 55), "parameters");
    assertEquals(List.of(3e10, 5e10, 1e11, 2e11, 3e11), LogTicks.values(2.15e10, 4.2e11, 640, 55), "FLOPs");
    assertEquals(List.of(5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1.0),
        LogTicks.values(3.5e-4, 1.2, 530, 28), "norms, vertical");
    assertEquals(List.of(2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0), LogTicks.values(1.9, 10.5, 530, 28), "every digit");
  }

  @Test
  void manyDecadesGetEveryNthPowerOfTen() {
    assertEquals(List.of(1e-4, 1e-2, 1.0, 1e2, 1e4, 1e6, 1e8, 1e10), LogTicks.values(1e-4, 1e10, 640, 55));
  }

  @Test
  void lessThanADecadeGetsEvenlySpacedRoundNumbers() {
    // a loss from 3.6 to 5.3 nats: two digits (4, 5) would be too few
    assertEquals(List.of(3.6, 3.8, 4.0, 4.2, 4.4, 4.6, 4.8, 5.0, 5.2), LogTicks.values(3.6, 5.3, 530, 28));
  }

  @Test
  void labelsArePlainNumbersOrShortPowersOfTen() {
    assertEquals(List.of("4.5", "400", "5000", "2e4", "1e14", "0.001", "5e-4", "1.5e5"),
        List.of(LogTicks.label(4.5), LogTicks.label(400), LogTicks.label(5000), LogTicks.label(2e4),
            LogTicks.label(1e14), LogTicks.label(1e-3), LogTicks.label(5e-4), LogTicks.label(1.5e5)));
  }
}
