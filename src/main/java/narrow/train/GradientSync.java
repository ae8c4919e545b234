package narrow.train;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * How one optimizer step's gradients come to be the replicas' mean. Only the backward of the
 * step's last micro-batch takes part: the micro-batches before it accumulate locally (DDP's
 * {@code no_sync()}). Either the all-reduce runs inside that backward, bucket by bucket as the
 * gradients appear (DDP's reducer), or after it.
 */
public interface GradientSync extends AutoCloseable {
  /** After the last micro-batch's forward, before its backward; {@code outputs} are where backward starts. */
  void beforeLastBackward(List<Tensor> outputs);

  /** After the last micro-batch's backward: on return {@code grads} hold the replicas' mean. */
  void afterLastBackward(List<Tensor> grads);

  @Override
  void close();

  /** One replica: its gradients are already the mean. */
  GradientSync NONE = new GradientSync() {
    @Override
    public void beforeLastBackward(List<Tensor> outputs) {}

    @Override
    public void afterLastBackward(List<Tensor> grads) {}

    @Override
    public void close() {}
  };
}
