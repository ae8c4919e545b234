package narrow.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import narrow.engine.Autocast;
import narrow.engine.Autograd;
import narrow.engine.Device;
import narrow.engine.Ops;
import narrow.model.DistillationLoss;
import narrow.distill.Teacher;
import narrow.train.Objective;
import org.bytedeco.pytorch.Tensor;

/**
 * The study's distillation step for {@code bench distill-step}: the teacher's logits under
 * inference mode, then {@link DistillationLoss#reference} (log_softmax, softmax, kl_div and the CE through
 * torch's ops on float32 copies) and autograd's backward through it. The trainer wants the loss's
 * gradient with respect to the logits, so backward starts from a detached copy of them and stops
 * there; the trainer goes on from the logits into the student. Every intermediate of the study's
 * form is alive at once before that backward, as in the study's {@code loss.backward()}.
 */
final class UnfusedDistillation implements Objective {
  private final Path teacherFolder;
  private final double temperature;
  private final double alpha;
  private Teacher teacher;

  UnfusedDistillation(Path teacherFolder, double temperature, double alpha) {
    this.teacherFolder = teacherFolder;
    this.temperature = temperature;
    this.alpha = alpha;
  }

  @Override
  public LogitsLoss microBatchLoss(MicroBatch b) {
    Tensor teacherLogits = teacher(b).logits(b.inputIds());
    Tensor leaf = b.logits().detach();
    Autograd.requireGradients(List.of(leaf));
    DistillationLoss.Losses l;
    try (Autograd.Recording recording = Autograd.record()) {
      l = DistillationLoss.reference(leaf, teacherLogits, b.labels(), temperature, alpha);
      recording.backward(l.combined(), b.scale());
    }
    Map<String, Tensor> parts = new LinkedHashMap<>();
    parts.put("combined_loss", l.combined());
    parts.put("student_ce_loss", l.studentCe());
    parts.put("distill_loss", l.kd());
    parts.put("teacher_ce_loss", l.teacherCe());
    return new LogitsLoss(l.combined().detach(), Autograd.gradient(leaf), parts);
  }

  /**
   * Loaded at the first step as the fused objective loads its teacher (bf16 under bf16 autocast),
   * so both sides' peaks hold the same weights; its logits live until the micro-batch ends, as the
   * study's do.
   */
  private Teacher teacher(MicroBatch b) {
    if (teacher == null) {
      try {
        Device device = Ops.deviceOf(b.logits());
        teacher = Teacher.load(teacherFolder, device, Autocast.bf16Active(device));
      } catch (IOException e) {
        throw new UncheckedIOException("teacher " + teacherFolder + ": " + e.getMessage(), e);
      }
    }
    return teacher;
  }

  @Override
  public void close() {
    if (teacher != null) teacher.close();
  }
}
