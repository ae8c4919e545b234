package narrow.train;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * The data-parallel group a trainer is one replica of. Every replica runs the same steps on its
 * slice of each global batch; these are the points where they agree. {@link #single()} is a group
 * of one (plain training), where every operation is the identity.
 */
public interface Replicas {
  /** This replica's index, 0 ≤ rank < size; rank 0 writes checkpoints and logs. */
  int rank();

  int size();

  default boolean isLeader() {
    return rank() == 0;
  }

  /**
   * How this group averages the gradients of {@code params} (HF names, in order), from now until
   * the returned sync is closed; opened once the replicas hold the same weights.
   */
  GradientSync gradientSync(java.util.Map<String, Tensor> params);

  /** The sum of {@code values} over the replicas (losses, token counts, flags). */
  double[] sum(double[] values);

  /** Every replica's {@code values}, indexed by rank. */
  double[][] gather(double[] values);

  /** Copies the leader's tensors into every replica's, in place (initial weights). */
  void copyFromLeader(List<Tensor> tensors);

  /** Optimizer steps between checks that the replicas' parameters are still identical (0: never). */
  default int checkEvery() {
    return 0;
  }

  static Replicas single() {
    return Single.INSTANCE;
  }

  /** A group of one. */
  enum Single implements Replicas {
    INSTANCE;

    @Override
    public int rank() {
      return 0;
    }

    @Override
    public int size() {
      return 1;
    }

    @Override
    public GradientSync gradientSync(java.util.Map<String, Tensor> params) {
      return GradientSync.NONE;
    }

    @Override
    public double[] sum(double[] values) {
      return values.clone();
    }

    @Override
    public double[][] gather(double[] values) {
      return new double[][] {values.clone()};
    }

    @Override
    public void copyFromLeader(List<Tensor> tensors) {}
  }
}
