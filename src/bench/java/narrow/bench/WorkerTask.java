package narrow.bench;

import java.io.IOException;
import narrow.model.LlamaForCausalLM.AttentionKernel;

/**
 * What a {@link TrainWorker}'s {@code steps} command repeats: a training step of the real
 * trainer, an attribution batch, or a forward and backward pass. Each is timed the same way and
 * in its own process, so that a benchmark compares them under one protocol.
 */
interface WorkerTask extends AutoCloseable {
  /**
   * Wall seconds and loss of one unit of work; for a training step also its seconds in forward
   * (with the loss), backward and the optimizer (clipping, AdamW, dropping gradients), else null.
   */
  record Timed(double seconds, double loss, double[] phases) {
    Timed(double seconds, double loss) {
      this(seconds, loss, null);
    }
  }

  Timed step() throws IOException;

  void attention(AttentionKernel kernel);

  /** The attention kernel the work runs with unless told otherwise, or null where it has none. */
  default String defaultKernel() {
    return null;
  }

  /** Elements of the model's parameters (0 without a model). */
  long params();

  boolean bf16();

  @Override
  void close();
}
