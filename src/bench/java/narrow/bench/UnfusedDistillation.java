package narrow.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import narrow.engine.Autograd;
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
    if (teacher == null) throw new IllegalStateException("the teacher loads in prepare(), before the first step");
    Tensor teacherLogits = teacher.logits(b.inputIds());
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
   * Loaded before the first step as the fused objective loads its teacher (bf16 under bf16
   * autocast), so both sides' peaks hold the same weights; its logits live until the micro-batch
   * ends, as the study's do.
   */
  @Override
  public void prepare(Context context) {
    try {
      teacher = Teacher.load(teacherFolder, context.device(), context.bf16());
    } catch (IOException e) {
      throw new UncheckedIOException("teacher " + teacherFolder + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (teacher != null) teacher.close();
  }
}
