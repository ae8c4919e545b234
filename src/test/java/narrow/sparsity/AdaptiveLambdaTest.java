package narrow.sparsity;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

class AdaptiveLambdaTest {

  /**
   * Warmup 2, adjust every 2 steps, ×2 on a falling loss, ×0.5 on a rising one, β = 0.5:
   * worked by hand step by step.
   */
  @Test
  void followsAHandComputedSequence() {
    AdaptiveLambda l = new AdaptiveLambda(new AdaptiveLambda.Settings(1.0, true, 2, 2, 2.0, 0.5, 0.5));
    double[] losses = {8, 4, 2, 2, 10, 10, 0};
    // step 1: smoothed 8; step 2 (end of warmup): 6, the reference
    // step 3: 4; step 4: 3 <= 6 → λ 2, reference 3
    // step 5: 6.5; step 6: 8.25 > 3 → λ 1, reference 8.25; step 7: 4.125
    double[] smoothed = {8, 6, 4, 3, 6.5, 8.25, 4.125};
    double[] lambdaUsed = {1, 1, 1, 1, 2, 2, 1};
    for (int i = 0; i < losses.length; i++) {
      assertEquals(lambdaUsed[i], l.lambda(), 0, "λ used by step " + (i + 1));
      l.observe(i + 1, losses[i]);
      assertEquals(smoothed[i], l.smoothedLoss(), 1e-12, "smoothed loss after step " + (i + 1));
    }
    assertEquals(1, l.lambda(), 0);
  }

  @Test
  void fixedLambdaNeverMoves() {
    AdaptiveLambda l = new AdaptiveLambda(AdaptiveLambda.Settings.fixed(0.5));
    for (int s = 1; s <= 1000; s++) l.observe(s, s % 2 == 0 ? 1 : 100);
    assertEquals(0.5, l.lambda(), 0);
  }

  @Test
  void stateRestoresExactly() {
    AdaptiveLambda.Settings settings = new AdaptiveLambda.Settings(1.0, true, 3, 0, 1.1, 0.6, 0.9);
    AdaptiveLambda a = new AdaptiveLambda(settings);
    for (int s = 1; s <= 7; s++) a.observe(s, 10.0 / s);
    Map<String, Double> saved = a.state();
    AdaptiveLambda b = new AdaptiveLambda(settings);
    b.restore(saved);
    for (int s = 8; s <= 20; s++) {
      double loss = s % 3 == 0 ? 5 : 1;
      a.observe(s, loss);
      b.observe(s, loss);
      assertEquals(a.lambda(), b.lambda(), 0, "λ after step " + s);
      assertEquals(a.smoothedLoss(), b.smoothedLoss(), 0, "smoothed loss after step " + s);
    }
    assertNotEquals(1.0, a.lambda(), "the sequence adjusted λ");
  }

  @Test
  void nothingKnownYetIsLeftOutOfTheState() {
    AdaptiveLambda l = new AdaptiveLambda(AdaptiveLambda.Settings.fixed(0.5));
    assertEquals(Map.of("lambda", 0.5), l.state());
  }
}
