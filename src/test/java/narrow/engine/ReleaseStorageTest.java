package narrow.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * A tensor whose memory is released before the backward that starts from it: the same
 * gradients, its shape kept, its storage (and that of every view of it) empty.
 */
class ReleaseStorageTest {
  @Test
  void backwardFromAReleasedOutputGivesTheSameGradients() {
    try (TensorScope scope = new TensorScope()) {
      Tensor x = Tensors.normalMatrix(6, 5, 1, -1, new java.util.SplittableRandom(1), Device.CPU);
      Tensor w = Tensors.normalMatrix(7, 5, 1, -1, new java.util.SplittableRandom(2), Device.CPU);
      Tensor g = Tensors.normalMatrix(6, 7, 1, -1, new java.util.SplittableRandom(3), Device.CPU)
          .to(torch.ScalarType.BFloat16).reshape(2, 3, 7);
      float[][] grads = new float[2][];
      for (int release = 0; release < 2; release++) {
        Tensor wLeaf = w.detach().clone();
        Autograd.requireGradients(List.of(wLeaf));
        try (Autograd.Recording r = Autograd.record()) {
          Tensor y;
          try (Autocast autocast = Autocast.bf16(Device.CPU)) {
            y = Ops.linear(x, wLeaf).reshape(2, 3, 7);
          }
          Tensor flat = y.view(6, 7);
          if (release == 1) {
            Tensors.releaseStorage(y);
            assertArrayEquals(new long[] {2, 3, 7}, Tensors.shape(y));
            assertEquals(0, y.storage().nbytes());
            assertEquals(0, flat.storage().nbytes(), "a view shares the released storage");
          }
          r.backward(List.of(y), List.of(g));
        }
        grads[release] = Tensors.toFloats(Autograd.gradient(wLeaf));
      }
      assertArrayEquals(grads[0], grads[1]);
    }
  }
}
