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
 * tokens. Here each chunk of rows, about {@link #CHUNK_BYTES} per float32 buffer, goes through four
 * buffers made once a call: both logit tensors are read once, the gradient written once, and no
 * float32 [N, V] copy outlives a chunk.
 *
 * <p>The math takes one exponential an element of each side. With {@code us = exp((s − max s) / T)}
 * and {@code uz} the teacher's, the softmaxes at T are {@code q = us / Σus} and {@code p = uz / Σuz};
 * at T = 2 the student's softmax at 1 is {@code us² / Σus²} (another exponential otherwise), and
 * {@code KL(p ‖ q) = Σ p · (ln uz − ln us) − ln Σuz + ln Σus}, where {@code ln uz} and
 * {@code ln us} are the shifted exponents themselves: no logarithm an element. The exponential is
 * torch's {@code exp2} of the exponent in base 2, a third of {@code exp}'s time on this CPU. The gradient with respect to the student is
 * {@code scale · (alpha · (softmax(s) − onehot) / counted + (1 − alpha) · T · (q − p) / distilled)}.
 * All in float32, as torch's; the KL's sum differs from {@code kl_div}'s element-by-element
 * {@code xlogy(p, p) − p · log q} by float32 rounding (on the goldens, 5e-6 relative on a KL of 0.03,
 * where the study's form is 3e-6 from the same float64 value). A teacher with −inf logits would need
 * kl_div's xlogy form.
 *
 * <p>As {@link FusedCrossEntropy}, the gradient is computed with the loss, for a loss that is
 * back-propagated from the logits straight away.
 */
public final class FusedDistillation {
  /**
   * Float32 bytes of one chunk buffer: 8 rows of a 128,256-way vocabulary. Measured on 2 cores at
   * [512 × 128,256]: 2, 4 and 8 rows a chunk took 0.13, 0.12 and 0.10 s, 16 rows 0.16 s.
   */
  static final long CHUNK_BYTES = 4L << 20;

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
        chunkRows(student), null);
  }

  /**
   * As {@link #lossAndGradient}, but the gradient is written over the teacher's logits when they
   * can hold it (the student's type and device, contiguous): each chunk's teacher rows are read
   * before its gradient rows are written. The caller gives the teacher's logits up: a training
   * step then holds two [N, V] tensors at the loss instead of three.
   */
  public static Result lossAndGradientOverTeacher(Tensor student, Tensor teacher, Tensor labels,
      long ignoreIndex, Tensor distilled, Weights weights, double scale, boolean teacherCe) {
    Tensor into = canHoldGradient(teacher, student) ? teacher : null;
    return compute(student, teacher, labels, ignoreIndex, distilled, weights, scale, teacherCe,
        chunkRows(student), into);
  }

  /** Whether the gradient of {@code student} may be written into {@code teacher}'s storage. */
  static boolean canHoldGradient(Tensor teacher, Tensor student) {
    return teacher.scalar_type().intern() == student.scalar_type().intern() && teacher.is_contiguous()
        && Ops.deviceOf(teacher).equals(Ops.deviceOf(student));
  }

  /** The losses alone (evaluation). */
  public static Result loss(Tensor student, Tensor teacher, Tensor labels, long ignoreIndex,
      Tensor distilled, Weights weights, boolean teacherCe) {
    return compute(student, teacher, labels, ignoreIndex, distilled, weights, Double.NaN, teacherCe,
        chunkRows(student), null);
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

  /** Scale NaN: the losses alone. {@code into}: where the gradient goes, null for a new tensor. */
  static Result compute(Tensor student, Tensor teacher, Tensor labels, long ignoreIndex, Tensor distilled,
      Weights w, double scale, boolean teacherCe, long chunkRows, Tensor into) {
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
      Tensor gradient = null;
      if (wantGradient) {
        ceWeights = counted.mul(Tensors.scalar(scale * w.alpha())).div(count.clamp_min(Tensors.scalar(1)));
        // d(T² · KL_row)/d(s) = T · (q − p)
        klWeights = inKl.mul(Tensors.scalar(scale * (1 - w.alpha()) * t)).div(klCount.clamp_min(Tensors.scalar(1)));
        gradient = into != null ? into : torch.empty_like(student);
      }
      Tensor pickedStudent = torch.empty_like(counted);
      Tensor pickedTeacher = teacherCe ? torch.empty_like(counted) : null;
      Tensor klRows = torch.empty_like(counted);
      Workspace work = new Workspace(chunk, student.size(1), t, Ops.deviceOf(student));
      for (long start = 0; start < rows; start += chunk) {
        long n = Math.min(chunk, rows - start);
        try (TensorScope chunkScope = new TensorScope()) {
          Tensor s = student.narrow(0, start, n);
          Tensor z = teacher.narrow(0, start, n);
          Tensor idx = index.narrow(0, start, n);
          Tensor xs = work.xs.narrow(0, 0, n);
          Tensor us = work.us.narrow(0, 0, n);
          Tensor xz = work.xz.narrow(0, 0, n);
          Tensor uz = work.uz.narrow(0, 0, n);
          Tensor atOne = work.atOne == null ? null : work.atOne.narrow(0, 0, n);
          Tensor ms = work.soften(s, xs, us);
          Tensor zs = us.sum(ROW, true, new ScalarTypeOptional());
          Tensor mz = work.soften(z, xz, uz);
          Tensor zz = uz.sum(ROW, true, new ScalarTypeOptional());
          if (teacherCe) {
            Tensor zz1 = work.sumAtOne(xz, uz, atOne);
            pickedTeacher.narrow(0, start, n).copy_(labelLogProb(z, idx, mz, zz1));
          }
          Tensor zs1 = work.sumAtOne(xs, us, atOne);
          pickedStudent.narrow(0, start, n).copy_(labelLogProb(s, idx, ms, zs1));
          // KL(p ‖ q) = Σ p · (ln p − ln q) = ln 2 · Σ p · (xz − xs) − ln Zz + ln Zs
          Tensor klDot = xz.sub_(xs).mul_(uz).sum(ROW, true, new ScalarTypeOptional());
          klRows.narrow(0, start, n).copy_(
              klDot.mul_(Tensors.scalar(LN2)).div_(zz).sub_(zz.log()).add_(zs.log()));
          if (!wantGradient) continue;
          // scale · (α · (softmax(s) − onehot) / counted + (1 − α) · T · (q − p) / distilled), with
          // softmax(s) = exp(s − ms) / Zs1, q = us / Zs and p = uz / Zz
          Tensor ceRow = ceWeights.narrow(0, start, n);
          Tensor klRow = klWeights.narrow(0, start, n);
          Tensor g = xs;
          if (atOne == null) {
            torch.mul_out(g, us, ceRow.div(zs1)).add_(klRow.div(zs)).mul_(us);
          } else {
            torch.mul_out(g, atOne, ceRow.div(zs1)).add_(us.mul_(klRow.div(zs)));
          }
          g.sub_(uz.mul_(klRow.div(zz)));
          g.scatter_add_(1, idx, ceRow.neg());
          writeRows(gradient, start, g);
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

  /**
   * Copies {@code rows} into {@code target} from row {@code start}. The teacher's logits are
   * inference tensors, which torch lets be written only under inference mode; the gradient they
   * then hold is read by the backward as any tensor.
   */
  private static void writeRows(Tensor target, long start, Tensor rows) {
    try (Autograd.Inference inference = target.is_inference() ? Autograd.inference() : null) {
      target.narrow(0, start, rows.size(0)).copy_(rows);
    }
  }

  private static final long[] ROW = {1};
  private static final double LN2 = Math.log(2);

  /**
   * The float32 buffers one chunk goes through, made once a call (in its tensor scope, which frees
   * them) and reused chunk after chunk. Logits x become
   * {@code xs = (x − max) · log2(e) / T} and {@code us = 2^xs = exp((x − max) / T)}: one
   * exponential an element gives the softmax at T and, squared at T = 2, the softmax at 1; torch's
   * {@code exp2} costs a third of its {@code exp} on this CPU, and the KL needs no logarithm an
   * element.
   */
  private static final class Workspace {
    final Tensor xs;
    final Tensor us;
    final Tensor xz;
    final Tensor uz;
    /** exp(x − max) for a temperature other than 2; null at 2, where it is us². */
    final Tensor atOne;
    private final org.bytedeco.pytorch.Scalar toBase2;
    private final org.bytedeco.pytorch.Scalar temperature;

    Workspace(long rows, long vocab, double t, Device device) {
      xs = buffer(rows, vocab, device);
      us = buffer(rows, vocab, device);
      xz = buffer(rows, vocab, device);
      uz = buffer(rows, vocab, device);
      atOne = t == 2 ? null : buffer(rows, vocab, device);
      toBase2 = Tensors.scalar(1 / (LN2 * t));
      temperature = Tensors.scalar(t);
    }

    private static Tensor buffer(long rows, long vocab, Device device) {
      return torch.empty(new long[] {rows, vocab}, Tensors.options(torch.ScalarType.Float, device),
          new org.bytedeco.pytorch.MemoryFormatOptional());
    }

    /** Fills x (the logits' base-2 exponents at T) and u (2^x); returns the rows' max logit, float32 [n, 1]. */
    Tensor soften(Tensor logits, Tensor x, Tensor u) {
      x.copy_(logits);
      Tensor max = x.amax(ROW, true);
      x.sub_(max).mul_(toBase2);
      torch.exp2_out(u, x);
      return max;
    }

    /** Σ exp(logit − max) over each row: Σ u² at T = 2, else through {@code scratch}. */
    Tensor sumAtOne(Tensor x, Tensor u, Tensor scratch) {
      if (scratch == null) {
        Tensor norm = torch.linalg_vector_norm(u, Tensors.scalar(2), ROW, true, new ScalarTypeOptional());
        return norm.mul_(norm);
      }
      torch.mul_out(scratch, x, temperature).exp2_();
      return scratch.sum(ROW, true, new ScalarTypeOptional());
    }
  }

  /** log softmax(logits)[label] = logit[label] − max − ln Σ exp(logit − max), float32 [n, 1]. */
  private static Tensor labelLogProb(Tensor logits, Tensor idx, Tensor max, Tensor sumAtOne) {
    return Ops.float32(logits.gather(1, idx)).sub(max).sub_(sumAtOne.log());
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
