package narrow.distill;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.CausalLmLoss;
import narrow.model.DistillationLoss;
import narrow.model.LlamaWeights;
import narrow.train.CheckpointStore;
import narrow.train.Objective;
import org.bytedeco.pytorch.Tensor;

/**
 * The study's {@code DistillationTrainer} loss: alpha · CE(student) + (1 − alpha) · T² ·
 * KL(softmax(teacher / T) ‖ softmax(student / T)), computed with its gradient in one chunked pass
 * over the two logit tensors ({@link DistillationLoss}). The teacher is loaded once per replica,
 * on the student's device before the first step ({@link Teacher}: bf16 weights when training is
 * bf16, inference mode), and is never checkpointed. Logs the study's keys:
 * {@code combined_loss} (= {@code loss}), {@code student_ce_loss}, {@code distill_loss},
 * {@code teacher_ce_loss}, and the two CEs smoothed step by step ({@code *_smoothed}), whose state
 * a checkpoint keeps.
 */
public final class DistillationObjective implements Objective {
  private final DistillSettings settings;
  private Teacher teacher;
  private double studentSmoothed = Double.NaN;
  private double teacherSmoothed = Double.NaN;

  DistillationObjective(DistillSettings settings) {
    this.settings = settings;
  }

  /**
   * Loads the teacher before the first step (the run's Hadoop settings reach one on {@code s3a://}
   * or {@code gs://}).
   */
  @Override
  public void prepare(Context context) {
    try (CheckpointStore.LocalCopy local = CheckpointStore.fetchModel(settings.teacher(), context.hadoop())) {
      teacher = Teacher.load(local.dir(), context.device(), context.bf16());
    } catch (IOException e) {
      throw new UncheckedIOException("teacher " + settings.teacher() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public LogitsLoss microBatchLoss(MicroBatch b) {
    DistillationLoss.WithGradient d;
    // the teacher's logits (a [tokens × V] tensor) become the student logits' gradient, written
    // over them row by row: one [tokens × V] tensor less at the loss's peak
    try (TensorScope teacherScope = new TensorScope()) {
      Tensor teacherLogits = teacher().logits(b.inputIds());
      d = DistillationLoss.withGradientOverTeacher(b.logits(), teacherLogits, b.labels(), settings.temperature(),
          settings.alpha(), b.scale());
      keep(teacherScope, d);
    }
    Map<String, Tensor> parts = new LinkedHashMap<>();
    parts.put("combined_loss", d.losses().combined());
    parts.put("student_ce_loss", d.losses().studentCe());
    parts.put("distill_loss", d.losses().kd());
    parts.put("teacher_ce_loss", d.losses().teacherCe());
    return new LogitsLoss(d.losses().combined(), d.logitsGradient(), parts);
  }

  private static void keep(TensorScope scope, DistillationLoss.WithGradient d) {
    scope.keep(d.losses().combined());
    scope.keep(d.losses().studentCe());
    scope.keep(d.losses().kd());
    scope.keep(d.losses().teacherCe());
    scope.keep(d.logitsGradient());
  }

  /** The teacher's CE on the evaluation's rows, beside the student's: logged as {@code eval_teacher_ce_loss}. */
  @Override
  public Map<String, Double> evaluationTerms(Tensor inputIds, Tensor labels) {
    Tensor logits = teacher().logits(inputIds);
    return Map.of("teacher_ce_loss", Tensors.value(CausalLmLoss.loss(logits, labels)));
  }

  @Override
  public List<String> evaluationTermNames() {
    return List.of("teacher_ce_loss");
  }

  @Override
  public StepTerm afterBackward(LlamaWeights<Tensor> parameters, LlamaWeights<Tensor> gradients,
      Map<String, Double> losses, long step) {
    studentSmoothed = smooth(studentSmoothed, losses.get("student_ce_loss"));
    teacherSmoothed = smooth(teacherSmoothed, losses.get("teacher_ce_loss"));
    Map<String, Double> latest = new LinkedHashMap<>();
    latest.put("student_ce_loss_smoothed", studentSmoothed);
    latest.put("teacher_ce_loss_smoothed", teacherSmoothed);
    return new StepTerm(0, Map.of(), latest);
  }

  private double smooth(double smoothed, double value) {
    double b = settings.smoothing();
    return Double.isNaN(smoothed) ? value : b * smoothed + (1 - b) * value;
  }

  private Teacher teacher() {
    if (teacher == null) throw new IllegalStateException("the teacher loads in prepare(), before the first step");
    return teacher;
  }

  @Override
  public Map<String, Double> state() {
    Map<String, Double> s = new LinkedHashMap<>();
    // NaN (nothing seen yet) is left out: JSON has no NaN
    if (!Double.isNaN(studentSmoothed)) s.put("student_ce_loss_smoothed", studentSmoothed);
    if (!Double.isNaN(teacherSmoothed)) s.put("teacher_ce_loss_smoothed", teacherSmoothed);
    return s;
  }

  @Override
  public void restore(Map<String, Double> state) {
    studentSmoothed = state.getOrDefault("student_ce_loss_smoothed", Double.NaN);
    teacherSmoothed = state.getOrDefault("teacher_ce_loss_smoothed", Double.NaN);
  }

  @Override
  public void close() {
    if (teacher != null) teacher.close();
  }
}
