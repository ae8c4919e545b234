package narrow.model;

import static narrow.engine.Ops.*;

import java.util.List;
import narrow.engine.Autograd;
import narrow.engine.FusedDistillation;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * The study's distillation loss ({@code DistillationTrainer}, issue 18): {@code alpha · CE +
 * (1 − alpha) · T² · KL(softmax(teacher/T) ‖ softmax(student/T))}. The CE is
 * {@link CausalLmLoss}'s (logits at t predict the label at t+1); the KL, as the study takes it,
 * compares the two models' logits at the same position over the positions whose own label is not
 * {@link CausalLmLoss#IGNORE_INDEX} (labels not shifted), {@code batchmean}: summed and divided by
 * the number of such positions.
 *
 * <p>Training takes {@link #withGradient} (one chunked pass over both logit tensors,
 * {@link FusedDistillation}); {@link #reference} is the study's form through torch's own ops,
 * differentiable, for tests and the benchmark.
 */
public final class DistillationLoss {
  private DistillationLoss() {}

  /**
   * The losses of one batch, float32 0-d tensors, NaN when no position counts (as torch gives).
   *
   * @param combined what is back-propagated and logged as {@code loss} / {@code combined_loss}
   * @param studentCe {@code student_ce_loss}
   * @param kd {@code distill_loss}: T² times the KL's batchmean
   * @param teacherCe {@code teacher_ce_loss}: the teacher's CE on the same labels
   */
  public record Losses(Tensor combined, Tensor studentCe, Tensor kd, Tensor teacherCe) {}

  /**
   * Losses whose gradient was computed with them.
   *
   * @param logits the student's logits, where backward starts
   * @param logitsGradient d(scale · combined)/d(logits), the logits' shape and type
   */
  public record WithGradient(Losses losses, Tensor logits, Tensor logitsGradient) {
    /** Back-propagates {@code scale · combined} into the student's parameters. */
    public void backward(Autograd.Recording recording) {
      recording.backward(List.of(logits), List.of(logitsGradient));
    }
  }

  /**
   * The losses of student and teacher logits [B, T, V] against labels [B, T] with
   * d(scale · combined)/d(student logits), in the caller's scope. The teacher's logits need no
   * graph (take them under {@link Autograd#noGrad()}).
   */
  public static WithGradient withGradient(Tensor student, Tensor teacher, Tensor labels,
      double temperature, double alpha, double scale) {
    return withGradient(student, teacher, labels, temperature, alpha, scale, false);
  }

  /**
   * As {@link #withGradient(Tensor, Tensor, Tensor, double, double, double)}, writing the gradient
   * over the teacher's logits when they have the student's type
   * ({@link FusedDistillation#lossAndGradientOverTeacher}): the caller gives them up.
   */
  public static WithGradient withGradientOverTeacher(Tensor student, Tensor teacher, Tensor labels,
      double temperature, double alpha, double scale) {
    return withGradient(student, teacher, labels, temperature, alpha, scale, true);
  }

  private static WithGradient withGradient(Tensor student, Tensor teacher, Tensor labels,
      double temperature, double alpha, double scale, boolean overTeacher) {
    try (TensorScope scope = new TensorScope()) {
      Tensor s = flat(student);
      Tensor t = flat(teacher);
      Tensor shifted = CausalLmLoss.shiftedLabels(labels, student);
      Tensor distilled = distilledRows(labels, student);
      FusedDistillation.Weights weights = new FusedDistillation.Weights(temperature, alpha);
      FusedDistillation.Result r = overTeacher
          ? FusedDistillation.lossAndGradientOverTeacher(s, t, shifted, CausalLmLoss.IGNORE_INDEX,
              distilled, weights, scale, true)
          : FusedDistillation.lossAndGradient(s, t, shifted, CausalLmLoss.IGNORE_INDEX, distilled,
              weights, scale, true);
      Losses losses = new Losses(scope.keep(r.combined()), scope.keep(r.studentCe()),
          scope.keep(r.kd()), scope.keep(r.teacherCe()));
      return new WithGradient(losses, student, scope.keep(r.gradient().view(Tensors.shape(student))));
    }
  }

  /**
   * The study's form ({@link FusedDistillation#unfused}: torch's own ops on float32 copies, as
   * {@code make_goldens.py} and the study's {@code DistillationTrainer} compute it), with the
   * labels arranged as {@link #withGradient} does; differentiable when recorded. For tests and the
   * benchmark: every intermediate is a full [positions, V] float32 tensor.
   */
  public static Losses reference(Tensor student, Tensor teacher, Tensor labels, double temperature,
      double alpha) {
    try (TensorScope scope = new TensorScope()) {
      FusedDistillation.Result r = FusedDistillation.unfused(flat(student), flat(teacher),
          CausalLmLoss.shiftedLabels(labels, student), CausalLmLoss.IGNORE_INDEX,
          distilledRows(labels, student), new FusedDistillation.Weights(temperature, alpha), true);
      return new Losses(scope.keep(r.combined()), scope.keep(r.studentCe()), scope.keep(r.kd()),
          scope.keep(r.teacherCe()));
    }
  }

  private static Tensor flat(Tensor logits) {
    return logits.reshape(-1, logits.size(2));
  }

  /** labels [B, T] ≠ ignored, not shifted, flattened, on the logits' device: the KL's rows. */
  private static Tensor distilledRows(Tensor labels, Tensor logits) {
    return notEqual(to(labels, deviceOf(logits)), CausalLmLoss.IGNORE_INDEX).reshape(-1);
  }
}
