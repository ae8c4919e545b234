package narrow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Forward + backward time of one preset (not a test: excluded from the build's test run).
 * Run it with its main method on the test classpath (the pom excludes the bench group).
 */
@Tag("bench")
class ModelStepBench {
  public static void main(String[] args) {
    new ModelStepBench().forwardBackward();
  }

  @Test
  void forwardBackward() {
    String preset = System.getProperty("bench.preset", "d256_l4_h4");
    int batch = Integer.getInteger("bench.batch", 2);
    int length = Integer.getInteger("bench.length", 256);
    int steps = Integer.getInteger("bench.steps", 10);
    LlamaConfig cfg = LlamaConfig.preset(preset);
    try (NDManager m = NDManager.newBaseManager();
        LlamaForCausalLM model = LlamaForCausalLM.init(cfg, 0, m)) {
      Autograd.requireGradients(model.parameters().values());
      Random random = new Random(1);
      long[] tokens = new long[batch * length];
      for (int i = 0; i < tokens.length; i++) tokens[i] = random.nextInt(cfg.vocabSize());
      double total = 0;
      for (int step = 0; step < steps + 2; step++) {
        long start = System.nanoTime();
        try (NDManager s = m.newSubManager()) {
          NDArray ids = s.create(tokens, new Shape(batch, length));
          try (Autograd.Recording r = Autograd.record()) {
            r.backward(CausalLmLoss.loss(model.logits(ids), ids));
          }
        }
        Autograd.zeroGradients(model.parameters().values());
        double seconds = (System.nanoTime() - start) / 1e9;
        if (step >= 2) total += seconds; // the first steps warm up the allocator
      }
      double perStep = total / steps;
      System.out.printf("%s batch %d length %d: %.3f s per forward+backward, %.0f tokens/s%n",
          preset, batch, length, perStep, batch * length / perStep);
    }
  }
}
