package narrow.distributed;

import java.util.List;
import narrow.engine.Ops;
import narrow.engine.ProcessGroup;
import narrow.engine.TensorScope;
import narrow.train.Replicas;
import org.bytedeco.pytorch.Tensor;

/** A trainer's replica group over a Gloo process group: what {@link Replicas} asks, as collectives. */
final class GlooReplicas implements Replicas {
  private final ProcessGroup group;
  private final int checkEvery;

  GlooReplicas(ProcessGroup group, int checkEvery) {
    this.group = group;
    this.checkEvery = checkEvery;
  }

  @Override
  public int rank() {
    return group.rank();
  }

  @Override
  public int size() {
    return group.size();
  }

  /** Summed in flat buckets, then divided by the replica count: DDP's gradient average. */
  @Override
  public void average(List<Tensor> tensors) {
    group.allReduceSum(tensors);
    try (TensorScope scope = new TensorScope()) {
      for (Tensor t : tensors) Ops.scaleInPlace(t, 1.0 / size());
    }
  }

  @Override
  public double[] sum(double[] values) {
    return group.allReduceSum(values);
  }

  @Override
  public double[][] gather(double[] values) {
    return group.allGather(values);
  }

  @Override
  public void copyFromLeader(List<Tensor> tensors) {
    group.broadcast(tensors, 0);
  }

  @Override
  public int checkEvery() {
    return checkEvery;
  }
}
