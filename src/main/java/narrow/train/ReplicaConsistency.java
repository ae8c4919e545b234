package narrow.train;

import java.util.Map;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * The check that data-parallel replicas still hold the same parameters: every replica reduces its
 * parameters to a few float64 checksums, the group gathers them, and any difference stops every
 * replica with the step and the replica named. Replicas apply identical updates to identical
 * weights, so they agree bit for bit; a difference means a bug, corrupted memory or a replica
 * that missed a step, and training on would average gradients of different models.
 */
public final class ReplicaConsistency {
  private ReplicaConsistency() {}

  /** Throws on every replica, naming the step and the first replica that differs from replica 0. */
  public static void verify(long step, Map<String, Tensor> params, Replicas replicas) {
    double[] mine = checksums(params);
    double[][] all = replicas.gather(mine);
    for (int r = 0; r < all.length; r++) {
      if (!java.util.Arrays.equals(all[r], all[0])) {
        throw new IllegalStateException("step " + step + ": replica " + r + "'s parameters differ from "
            + "replica 0's (checksums " + java.util.Arrays.toString(all[r]) + " vs "
            + java.util.Arrays.toString(all[0]) + "); the replicas have drifted apart, stopping");
      }
    }
  }

  /** Sum and sum of squares of all parameters, and a position-weighted sum that notices swaps. */
  static double[] checksums(Map<String, Tensor> params) {
    double sum = 0;
    double squares = 0;
    double weighted = 0;
    int i = 1;
    try (TensorScope scope = new TensorScope()) {
      for (Tensor p : params.values()) {
        double s = Tensors.value(narrow.engine.Ops.sumFloat64(p));
        sum += s;
        squares += Tensors.value(narrow.engine.Ops.sumFloat64(p.mul(p)));
        weighted += s * i++;
      }
    }
    return new double[] {sum, squares, weighted};
  }
}
