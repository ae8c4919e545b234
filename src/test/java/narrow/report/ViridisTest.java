package narrow.report;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.Color;
import org.junit.jupiter.api.Test;

/** matplotlib's viridis: cm.viridis(0), (0.5), (1) are #440154, #21918c, #fde725. */
class ViridisTest {
  @Test
  void matchesMatplotlibAtItsEndsAndMiddle() {
    assertEquals(new Color(0x440154), Viridis.at(0));
    assertEquals(new Color(0x21918c), Viridis.at(0.5));
    assertEquals(new Color(0xfde725), Viridis.at(1));
    assertEquals(Viridis.at(1), Viridis.at(7), "clamped above");
    assertEquals(Viridis.at(0), Viridis.at(-1), "clamped below");
    // halfway between the anchors at 0.9 (#bddf26) and 1.0 (#fde725)
    assertEquals(new Color(0xdd, 0xe3, 0x26), Viridis.at(0.95));
  }

  @Test
  void colourBySizeIsViridisOnLogParameters() {
    assertEquals(Viridis.at(0), Viridis.bySize(1e4, 1e4, 1e6));
    assertEquals(Viridis.at(0.5), Viridis.bySize(1e5, 1e4, 1e6), "a tenth of the way in count is half in log");
    assertEquals(Viridis.at(1), Viridis.bySize(1e6, 1e4, 1e6));
    assertEquals(Viridis.at(0), Viridis.bySize(5e4, 5e4, 5e4), "one size only: the first colour");
  }
}
