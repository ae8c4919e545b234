package narrow.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * DDP's reducer on a real Gloo group of two ranks (threads of this JVM, loopback): after a
 * reducing backward every gradient is the ranks' mean, in more than one bucket, and backward
 * passes that were not announced accumulate locally as under {@code no_sync()}.
 */
class GradientReducerTest {
  private static final long[][] SHAPES = {{64, 48}, {48, 600}, {600, 700}, {700, 3}}; // 1.9 MB: three buckets

  /** Per rank: its gradients after (accumulate, then reduce), and the inputs it used. */
  private record RankResult(List<float[]> reduced, List<float[]> localOnly) {}

  @Test
  void reducingBackwardLeavesTheMeanOfBothRanksGradients() throws Exception {
    List<RankResult> ranks = runTwoRanks();
    for (int p = 0; p < SHAPES.length; p++) {
      float[] a = ranks.get(0).localOnly().get(p);
      float[] b = ranks.get(1).localOnly().get(p);
      float[] mean = new float[a.length];
      for (int i = 0; i < a.length; i++) mean[i] = (a[i] + b[i]) / 2;
      assertArrayEquals(mean, ranks.get(0).reduced().get(p), 1e-6f, "parameter " + p + " on rank 0");
      assertArrayEquals(mean, ranks.get(1).reduced().get(p), 1e-6f, "parameter " + p + " on rank 1");
      boolean differ = false;
      for (int i = 0; i < a.length && !differ; i++) differ = a[i] != b[i];
      assertTrue(differ, "the ranks' local gradients of parameter " + p + " should differ");
    }
  }

  @Test
  void bucketsRunBackwardsFromTheLastParameterWithASmallFirstOne() {
    try (TensorScope scope = new TensorScope()) {
      List<Tensor> params = new ArrayList<>();
      for (long[] s : SHAPES) params.add(Tensors.zeros(Device.CPU, s));
      // bytes: 12 288, 115 200, 1 680 000, 8 400: the first bucket (1 MB) closes once the 1.68 MB
      // tensor is in; the next (25 MB) holds the rest
      assertEquals(List.of(List.of(3, 2), List.of(1, 0)), GradientReducer.buckets(params, 1 << 20, 25 << 20));
      assertEquals(List.of(List.of(3), List.of(2), List.of(1), List.of(0)),
          GradientReducer.buckets(params, 1, 1));
    }
  }

  private static List<RankResult> runTwoRanks() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    AtomicInteger port = new AtomicInteger(-1);
    try {
      List<Future<RankResult>> futures = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        int rank = r;
        futures.add(pool.submit(() -> rank(rank, port)));
      }
      List<RankResult> out = new ArrayList<>();
      for (Future<RankResult> f : futures) out.add(f.get());
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private static RankResult rank(int rank, AtomicInteger port) throws Exception {
    try (ProcessGroup group = ProcessGroup.joinInProcess(rank, 2, port, Duration.ofSeconds(60));
        TensorScope scope = new TensorScope()) {
      List<Tensor> params = parameters();
      List<Tensor> twins = parameters(); // the same weights, never reduced: the local gradients
      List<String> names = List.of("a", "b", "c", "d");
      try (GradientReducer reducer = group.reducer(names, params)) {
        // two micro-batches: the first accumulates locally, the second reduces the sum
        for (int micro = 0; micro < 2; micro++) {
          Tensor x = input(rank, micro);
          try (Autograd.Recording rec = Autograd.record()) {
            Tensor loss = loss(x, params);
            if (micro == 1) reducer.expectBackward(List.of(loss));
            rec.backward(loss, 0.5);
            rec.backward(loss(x, twins), 0.5);
          }
        }
      }
      List<float[]> reduced = new ArrayList<>();
      List<float[]> local = new ArrayList<>();
      for (int p = 0; p < params.size(); p++) {
        reduced.add(Tensors.toFloats(Autograd.gradient(params.get(p))));
        local.add(Tensors.toFloats(Autograd.gradient(twins.get(p))));
      }
      return new RankResult(reduced, local);
    }
  }

  /** Deterministic weights, the same on both ranks. */
  private static List<Tensor> parameters() {
    List<Tensor> out = new ArrayList<>();
    int seed = 1;
    for (long[] s : SHAPES) {
      float[] w = new float[(int) (s[0] * s[1])];
      for (int i = 0; i < w.length; i++) w[i] = (float) Math.sin(0.37 * (i + 1) * seed) / 8;
      Tensor t = Tensors.floats(w, s);
      out.add(t);
      seed++;
    }
    Autograd.requireGradients(out);
    return out;
  }

  private static Tensor input(int rank, int micro) {
    float[] x = new float[5 * 64];
    for (int i = 0; i < x.length; i++) x[i] = (float) Math.cos(0.11 * i + 1.7 * rank + 0.5 * micro);
    return Tensors.floats(x, 5, 64);
  }

  private static Tensor loss(Tensor x, List<Tensor> params) {
    Tensor h = x;
    for (Tensor w : params) h = Ops.silu(h.matmul(w));
    return Ops.pow(h, 2).mean();
  }
}
