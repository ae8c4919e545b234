package narrow.engine;

import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Hinton's distillation loss, {@code alpha · CE(student) + (1 − alpha) · T² · KL(softmax(teacher/T)
 * ‖ softmax(student/T))} with the KL's {@code batchmean} over the distilled rows, together with its
 * gradient with respect to the student's logits, a few rows at a time.
 *
 * <p>Why: with a 128,256-way vocabulary, the study's form (log-softmax of the student, softmax of
 * the teacher, {@code kl_div}, all on float32 copies, plus the CE and autograd's saved tensors and
 * backward buffers) holds several [tokens × V] float32 tensors at once, about 0.5 GB each per 1,024
 * tokens. Here each chunk of rows, about {@link #CHUNK_BYTES} per float32 buffer, goes through
 * the student's log-softmax at 1 and at T, the teacher's at T, the per-row KL, the student's (and
 * optionally the teacher's) label log-probability and the combined gradient
 * {@code scale · (alpha · (softmax(s) − onehot) / counted + (1 − alpha) · T · (softmax(s/T) −
 * softmax(t/T)) / distilled)} straight into a gradient in the student logits' type: both logit
 * tensors are read once, the gradient written once, and no float32 [N, V] copy outlives a chunk.
 * The math is float32, as torch's, but the KL is summed as Σ p · (log p − log q) where
 * {@code kl_div} forms xlogy(p, p) − p · log q element by element: on the goldens the two kd values
 * differ by 3e-6 relative, each within 1e-5 of a float64 KL of the same logits (a small KL from
 * float32 log-probabilities). A teacher with −inf logits would need kl_div's xlogy form.
 *
 * <p>As {@link FusedCrossEntropy}, the gradient is computed with the loss, for a loss that is
 * back-propagated from the logits straight away.
 */
public final class FusedDistillation {
  /** Float32 bytes of one chunk buffer: 16 rows of a 128,256-way vocabulary, as for the CE alone. */
  static final long CHUNK_BYTES = 8L << 20;

  private FusedDistillation() {}

  /**
   * All float32 0-d tensors; a mean over no row is NaN, as torch's.
   *
   * @param combined {@code alpha · studentCe + (1 − alpha) · kd}
   * @param studentCe mean CE of the student over the rows whose label is counted
   * @param kd {@code T² · Σ KL / (distilled rows)} (torch's {@code kl_div(…, "batchmean") · T²})
   * @param teacherCe the teacher's mean CE on the student's rows; null when not asked for
   * @param gradient d(scale · combined)/d(student logits), their shape and type (zero in rows that
   *     count in neither term); null when only the losses were asked for
   */
  public record Result(Tensor combined, Tensor studentCe, Tensor kd, Tensor teacherCe, Tensor gradient) {}

  /** The temperature and the weight of the student's CE. */
  public record Weights(double temperature, double alpha) {
    public Weights {
      if (!(temperature > 0) || Double.isInfinite(temperature)) {
        throw new IllegalArgumentException("temperature must be positive and finite, not " + temperature);
      }
      if (!(alpha >= 0 && alpha <= 1)) {
        throw new IllegalArgumentException("alpha must be within [0, 1], not " + alpha);
      }
    }
  }

  /**
   * The losses and d(scale · combined)/d(student) of student and teacher logits [N, V] (any float
   * types), labels [N] (int64: the CE's targets, {@code ignoreIndex} for none) and
   * {@code distilled} [N] (bool: the rows in the KL).
   */
  public static Result lossAndGradient(Tensor student, Tensor teacher, Tensor labels, long ignoreIndex,
      Tensor distilled, Weights weights, double scale, boolean teacherCe) {
    return compute(student, teacher, labels, ignoreIndex, distilled, weights, scale, teacherCe,
        chunkRows(student));
  }

  /** The losses alone (evaluation). */
  public static Result loss(Tensor student, Tensor teacher, Tensor labels, long ignoreIndex,
      Tensor distilled, Weights weights, boolean teacherCe) {
    return compute(student, teacher, labels, ignoreIndex, distilled, weights, Double.NaN, teacherCe,
        chunkRows(student));
  }

  /**
   * The study's unfused form, for tests and the benchmark: CE as torch's {@code cross_entropy} on a
   * float32 copy, then {@code kl_div(log_softmax(s[distilled] / T), softmax(t[distilled] / T),
   * "batchmean") · T²} on float32 copies, each step a full [rows, V] tensor. Differentiable when
   * recorded (no gradient in the result: back-propagate {@code combined}).
   */
  public static Result unfused(Tensor student, Tensor teacher, Tensor labels, long ignoreIndex,
      Tensor distilled, Weights w, boolean teacherCe) {
    checkShapes(student, teacher, labels, distilled);
    double t = w.temperature();
    try (TensorScope scope = new TensorScope()) {
      Tensor count = Ops.countNotEqual(labels, ignoreIndex);
      Tensor ce = Ops.crossEntropySum(student, labels, ignoreIndex).div(count);
      Tensor s = Ops.div(Ops.float32(Ops.rowsWhere(student, distilled)), t);
      Tensor z = Ops.div(Ops.float32(Ops.rowsWhere(teacher, distilled)), t);
      Tensor kd = Ops.div(Ops.klDivSum(Ops.logSoftmax(s, 1), Ops.softmax(z, 1)), s.size(0));
      kd = Ops.mul(Ops.mul(kd, t), t);
      Tensor combined = Ops.mul(ce, w.alpha()).add(Ops.mul(kd, 1 - w.alpha()));
      Tensor teacherMean = null;
      if (teacherCe) {
        try (Autograd.Scope noGrad = Autograd.noGrad()) {
          teacherMean = scope.keep(Ops.crossEntropySum(teacher, labels, ignoreIndex).div(count));
        }
      }
      return new Result(scope.keep(combined), scope.keep(ce), scope.keep(kd), teacherMean, null);
    }
  }

  private static long chunkRows(Tensor logits) {
    return Math.max(1, CHUNK_BYTES / (4 * logits.size(1)));
  }

  /** Scale NaN: the losses alone. */
  static Result compute(Tensor student, Tensor teacher, Tensor labels, long ignoreIndex, Tensor distilled,
      Weights w, double scale, boolean teacherCe, long chunkRows) {
    checkShapes(student, teacher, labels, distilled);
    boolean wantGradient = !Double.isNaN(scale);
    double t = w.temperature();
    try (TensorScope scope = new TensorScope();
        Autograd.Scope noGrad = Autograd.noGrad()) {
      long rows = student.size(0);
      long chunk = Math.min(rows, chunkRows);
      Tensor column = labels.reshape(-1, 1);
      Tensor ignored = column.eq(Tensors.scalar(ignoreIndex));
      Tensor counted = ignored.logical_not().to(torch.ScalarType.Float);
      Tensor count = counted.sum();
      Tensor inKl = distilled.reshape(-1, 1).to(torch.ScalarType.Float);
      Tensor klCount = inKl.sum();
      // an ignored row picks class 0: `counted` zeroes its loss, its weight its gradient
      Tensor index = column.masked_fill(ignored, Tensors.scalar(0));
      Tensor ceWeights = null;
      Tensor klWeights = null;
      Tensor minusOne = null;
      Tensor gradient = null;
      if (wantGradient) {
        ceWeights = counted.mul(Tensors.scalar(scale * w.alpha())).div(count.clamp_min(Tensors.scalar(1)));
        // d(T² · KL_row)/d(s) = T · (q − p)
        klWeights = inKl.mul(Tensors.scalar(scale * (1 - w.alpha()) * t)).div(klCount.clamp_min(Tensors.scalar(1)));
        minusOne = torch.full_like(counted, Tensors.scalar(-1));
        gradient = torch.empty_like(student);
      }
      Tensor pickedStudent = torch.empty_like(counted);
      Tensor pickedTeacher = teacherCe ? torch.empty_like(counted) : null;
      Tensor klRows = torch.empty_like(counted);
      for (long start = 0; start < rows; start += chunk) {
        long n = Math.min(chunk, rows - start);
        try (TensorScope chunkScope = new TensorScope()) {
          Tensor s = student.narrow(0, start, n);
          Tensor z = teacher.narrow(0, start, n);
          Tensor idx = index.narrow(0, start, n);
          Tensor logProbs = torch.log_softmax(s, 1, new ScalarTypeOptional(torch.ScalarType.Float));
          pickedStudent.narrow(0, start, n).copy_(logProbs.gather(1, idx));
          Tensor logQ = logSoftmax(s, t);
          Tensor logP = logSoftmax(z, t);
          if (teacherCe) pickedTeacher.narrow(0, start, n).copy_(teacherLogProbs(z, t, logP, idx));
          Tensor p = logP.exp();
          Tensor terms = logP.sub_(logQ).mul_(p);
          klRows.narrow(0, start, n).copy_(terms.sum(new long[] {1}, true, new ScalarTypeOptional()));
          if (!wantGradient) continue;
          Tensor g = logProbs.exp_();
          g.scatter_add_(1, idx, minusOne.narrow(0, start, n));
          g.mul_(ceWeights.narrow(0, start, n));
          g.add_(logQ.exp_().sub_(p).mul_(klWeights.narrow(0, start, n)));
          gradient.narrow(0, start, n).copy_(g);
        }
      }
      Tensor studentCe = pickedStudent.mul(counted).sum().neg().div(count);
      Tensor kd = klRows.mul(inKl).sum().div(klCount).mul(Tensors.scalar(t * t));
      Tensor combined = studentCe.mul(Tensors.scalar(w.alpha())).add(kd.mul(Tensors.scalar(1 - w.alpha())));
      Tensor teacherMean = teacherCe ? scope.keep(pickedTeacher.mul(counted).sum().neg().div(count)) : null;
      return new Result(scope.keep(combined), scope.keep(studentCe), scope.keep(kd), teacherMean,
          wantGradient ? scope.keep(gradient) : null);
    }
  }

  /** log_softmax(x / t) in float32; the scaled copy is gone when this returns. */
  private static Tensor logSoftmax(Tensor x, double t) {
    try (TensorScope scope = new TensorScope()) {
      Tensor f = Ops.float32(x);
      Tensor scaled = f == x ? x.div(Tensors.scalar(t)) : f.div_(Tensors.scalar(t));
      return scope.keep(torch.log_softmax(scaled, 1, new ScalarTypeOptional()));
    }
  }

  /** The teacher's log-probability of each label at temperature 1 (its log-probabilities at t when t is 1). */
  private static Tensor teacherLogProbs(Tensor z, double t, Tensor logPAtT, Tensor idx) {
    if (t == 1) return logPAtT.gather(1, idx);
    try (TensorScope scope = new TensorScope()) {
      Tensor logP = torch.log_softmax(z, 1, new ScalarTypeOptional(torch.ScalarType.Float));
      return scope.keep(logP.gather(1, idx));
    }
  }

  private static void checkShapes(Tensor student, Tensor teacher, Tensor labels, Tensor distilled) {
    long[] s = Tensors.shape(student);
    long[] t = Tensors.shape(teacher);
    if (s.length != 2 || !java.util.Arrays.equals(s, t)) {
      throw new IllegalArgumentException("student logits " + java.util.Arrays.toString(s)
          + " and teacher logits " + java.util.Arrays.toString(t) + " must both be [rows, vocabulary]");
    }
    if (Tensors.numel(labels) != s[0] || Tensors.numel(distilled) != s[0]) {
      throw new IllegalArgumentException(s[0] + " rows of logits but " + Tensors.numel(labels)
          + " labels and " + Tensors.numel(distilled) + " distilled flags");
    }
  }
}
