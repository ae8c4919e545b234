package narrow.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import narrow.data.TokenizedDataset;
import narrow.engine.Autograd;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.engine.Torch;
import narrow.model.CausalLmLoss;
import narrow.model.ComputeDevice;
import narrow.model.LlamaConfig;
import narrow.model.LlamaForCausalLM;
import narrow.model.LlamaForCausalLM.AttentionKernel;
import narrow.prune.AttributionBatch;
import narrow.prune.AttributionRows;
import narrow.prune.GradientAttribution;
import org.bytedeco.pytorch.Tensor;

/**
 * The {@link WorkerTask}s of {@code bench prune} besides the training step: an attribution batch
 * through the real {@link GradientAttribution}, the same forward and backward without the
 * reduction to sums, and nothing at all (a JVM with libtorch loaded: the memory every side
 * starts from).
 */
final class PruneTasks {
  private PruneTasks() {}

  /**
   * Attribution ({@code reduce}) or its forward and backward alone, on a fresh model of
   * {@code config} (seed 0, as the training side's) over the rows of {@code data}'s train split in
   * file order, batch after batch, round and round: the rows the training side steps through.
   */
  static WorkerTask scoring(LlamaConfig config, Path data, int batch, int seq, boolean reduce) throws IOException {
    return new Scoring(config, data, batch, seq, reduce);
  }

  static WorkerTask idle() {
    Torch.load();
    Torch.setThreads(Runtime.getRuntime().availableProcessors());
    // one small op, so that libtorch's thread pool and allocator are up, as in every other side
    try (TensorScope scope = new TensorScope()) {
      Tensors.value(Tensors.zeros(Device.CPU, 1024).sum());
    }
    return new WorkerTask() {
      @Override
      public Timed step() {
        throw new IllegalStateException("the idle worker runs no steps");
      }

      @Override
      public void attention(AttentionKernel kernel) {}

      @Override
      public long params() {
        return 0;
      }

      @Override
      public boolean bf16() {
        return false;
      }

      @Override
      public void close() {}
    };
  }

  private static final class Scoring implements WorkerTask {
    private final LlamaForCausalLM model;
    private final GradientAttribution scorer;
    private final List<AttributionBatch> batches;
    private final boolean reduce;
    private int next;

    Scoring(LlamaConfig config, Path data, int batch, int seq, boolean reduce) throws IOException {
      this.reduce = reduce;
      // as the trainer of a local run: every core, a GPU when libtorch sees one
      Torch.setThreads(Runtime.getRuntime().availableProcessors());
      Device device = ComputeDevice.fromSetting("auto");
      TokenizedDataset dataset = TokenizedDataset.open(data);
      long rows = dataset.rowGroups("train").stream().mapToLong(g -> g.rows()).sum();
      this.batches = AttributionRows.firstBatches(dataset, "train", Math.toIntExact(rows), batch, seq,
          config.padId());
      this.model = LlamaForCausalLM.init(config, 0, device);
      // both kinds: the scorer decides which parameters get gradients (an untied lm_head gets none),
      // so the bare forward and backward builds the very graph attribution does
      this.scorer = new GradientAttribution(model);
    }

    @Override
    public Timed step() {
      AttributionBatch b = batches.get(next++ % batches.size());
      long t0 = System.nanoTime();
      double loss = Double.NaN; // the sums do not carry it
      if (reduce) {
        scorer.batch(b);
      } else {
        loss = forwardBackward(b);
      }
      return new Timed((System.nanoTime() - t0) / 1e9, loss);
    }

    /** {@link GradientAttribution#batch} up to its reduction: loss, backward, gradients dropped. */
    private double forwardBackward(AttributionBatch b) {
      try (TensorScope scope = new TensorScope()) {
        Tensor ids = b.idsTensor(model.device());
        Tensor labels = b.labelsTensor(model.device());
        double value;
        try (Autograd.Recording r = Autograd.record()) {
          CausalLmLoss.WithGradient loss = CausalLmLoss.withGradient(model.logits(ids), labels, 1);
          value = Tensors.value(loss.loss());
          loss.backward(r);
        }
        Autograd.zeroGradients(model.parameters().values());
        return value;
      }
    }

    @Override
    public void attention(AttentionKernel kernel) {
      model.setAttention(kernel);
    }

    @Override
    public long params() {
      return model.parameters().values().stream().mapToLong(Tensors::numel).sum();
    }

    @Override
    public boolean bf16() {
      return false; // attribution scores in float32, never under autocast
    }

    @Override
    public void close() {
      model.close();
    }
  }
}
