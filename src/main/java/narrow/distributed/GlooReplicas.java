package narrow.distributed;

import java.util.List;
import java.util.Map;
import narrow.engine.GradientReducer;
import narrow.engine.Ops;
import narrow.engine.ProcessGroup;
import narrow.engine.TensorScope;
import narrow.train.GradientSync;
import narrow.train.Replicas;
import org.bytedeco.pytorch.Tensor;

/** A trainer's replica group over a Gloo process group: what {@link Replicas} asks, as collectives. */
final class GlooReplicas implements Replicas {
  private final ProcessGroup group;
  private final int checkEvery;
  private final Boolean overlap;

  /** {@code overlap}: all-reduce inside backward (DDP's reducer), else after it; null: inside on CUDA only. */
  GlooReplicas(ProcessGroup group, int checkEvery, Boolean overlap) {
    this.group = group;
    this.checkEvery = checkEvery;
    this.overlap = overlap;
  }

  @Override
  public int rank() {
    return group.rank();
  }

  @Override
  public int size() {
    return group.size();
  }

  @Override
  public GradientSync gradientSync(Map<String, Tensor> params) {
    boolean inside = overlap != null ? overlap : params.values().iterator().next().is_cuda();
    return inside ? new Overlapped(group.reducer(List.copyOf(params.keySet()), List.copyOf(params.values())))
        : new AfterBackward();
  }

  /** DDP's reducer: buckets all-reduced while backward computes earlier layers' gradients. */
  private record Overlapped(GradientReducer reducer) implements GradientSync {
    @Override
    public void beforeLastBackward(List<Tensor> outputs) {
      reducer.expectBackward(outputs);
    }

    @Override
    public void afterLastBackward(List<Tensor> grads) {}

    @Override
    public void close() {
      reducer.close();
    }
  }

  /** Summed in flat buckets once backward is done, then divided by the replica count. */
  private final class AfterBackward implements GradientSync {
    @Override
    public void beforeLastBackward(List<Tensor> outputs) {}

    @Override
    public void afterLastBackward(List<Tensor> grads) {
      group.allReduceSum(grads);
      try (TensorScope scope = new TensorScope()) {
        for (Tensor t : grads) Ops.scaleInPlace(t, 1.0 / size());
      }
    }

    @Override
    public void close() {}
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
