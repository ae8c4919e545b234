package narrow.distill;

import java.io.IOException;
import java.nio.file.Path;
import narrow.engine.Autocast;
import narrow.engine.Autograd;
import narrow.engine.DType;
import narrow.engine.Device;
import narrow.model.LlamaForCausalLM;
import org.bytedeco.pytorch.Tensor;

/**
 * A frozen teacher: weights in bf16 when the student trains under bf16 autocast (its forward runs
 * in bf16 anyway, so float32 weights would only double their memory and cast every weight to bf16
 * again at each pass, the tied head's [vocabulary × hidden] copy among them), float32 otherwise;
 * its forward under inference mode, so nothing of it is kept for a backward.
 */
public final class Teacher implements AutoCloseable {
  private final LlamaForCausalLM model;
  private final boolean bf16;

  private Teacher(LlamaForCausalLM model, boolean bf16) {
    this.model = model;
    this.bf16 = bf16;
  }

  /** Loads a local Hugging Face folder onto {@code device}, in bf16 when {@code bf16}. */
  public static Teacher load(Path dir, Device device, boolean bf16) throws IOException {
    return new Teacher(LlamaForCausalLM.load(dir, device, bf16 ? DType.BF16 : DType.F32), bf16);
  }

  /**
   * Logits [B, T, V] (bf16 for a bf16 teacher) in the caller's scope: inference tensors, to be
   * read, not written. A bf16 teacher runs under bf16 autocast whatever the caller's state.
   */
  public Tensor logits(Tensor inputIds) {
    try (Autograd.Inference inference = Autograd.inference();
        Autocast autocast = Autocast.bf16If(bf16, model.device())) {
      return model.logits(inputIds);
    }
  }

  public boolean bf16() {
    return bf16;
  }

  public LlamaForCausalLM model() {
    return model;
  }

  @Override
  public void close() {
    model.close();
  }
}
