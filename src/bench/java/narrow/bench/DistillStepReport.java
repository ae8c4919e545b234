package narrow.bench;

import java.util.Locale;

/**
 * What {@code bench distill-step} measured, and the two goals: (c) / ((a) + 1.15 × (b)) ≤ 1,
 * and the fused step's peak within 10% of {@link #budgetBytes}. The peak judged is the memory in
 * use at the probed steps' peak (what PyTorch reports as {@code max_memory_allocated}); the
 * resident peak, which adds the blocks the allocator has freed and keeps, is printed beside it,
 * and judged only where nothing could be probed.
 *
 * @param studentParams the student's parameters, trained in float32 master weights with AdamW
 * @param teacherParams the teacher's, held in bf16 under bf16 autocast and in float32 otherwise
 *     ({@link narrow.distill.Teacher})
 * @param teacherForward (b) seconds of each round
 * @param teacherPeakKb the teacher-alone process's peak above its baseline
 * @param fused the trainer with narrow's fused objective: (a) and (c)
 * @param unfused the trainer with the study's form: its own (a) and (d)
 * @param probes by step probed, its parts ({@link MemoryPhases}), KiB of malloc above the JVM's
 *     baseline; empty where the allocator cannot be read
 */
public record DistillStepReport(DistillStepOptions options, TrainBenchReport.Machine machine, String engine,
    long studentParams, long teacherParams, double[] teacherForward, long teacherPeakKb, Trainer fused,
    Trainer unfused, java.util.Map<String, java.util.List<MemoryPhases.Phase>> probes, double minutes) {

  /** The teacher's forward may cost this much more inside the step than alone (the allowance). */
  static final double FORWARD_ALLOWANCE = 1.15;
  /** The step's peak may exceed the budget by this factor. */
  static final double MEMORY_ALLOWANCE = 1.10;

  /**
   * One trainer's JVM, switched between plain and distillation steps.
   *
   * @param student (a) seconds of each round
   * @param distill (c) or (d) seconds of each round
   * @param studentLoss seconds of (a)'s loss (the CE) in each round
   * @param distillLoss seconds of (c)'s or (d)'s loss (the teacher's forward and the distillation
   *     loss) in each round
   * @param studentPeakKb its peak above baseline after plain steps only (the teacher loaded, as a
   *     trainer loads it before its first step)
   * @param peakKb its peak above baseline in all, distillation steps included
   */
  public record Trainer(double[] student, double[] distill, double[] studentLoss, double[] distillLoss,
      long studentPeakKb, long peakKb) {
    double studentMedian() {
      return TrainBench.median(student);
    }

    double distillMedian() {
      return TrainBench.median(distill);
    }
  }

  long teacherWeightBytes() {
    return teacherParams * (options.bf16() ? 2 : 4);
  }

  /** Float32 weights and gradients and AdamW's two float32 moments. */
  long studentStateBytes() {
    return 16 * studentParams;
  }

  /** One [tokens × vocab] logits tensor in the compute dtype (bf16 under autocast). */
  long logitsBytes() {
    return options.tokens() * options.studentConfig().vocabSize() * (options.bf16() ? 2 : 4);
  }

  long budgetBytes() {
    return teacherWeightBytes() + studentStateBytes() + logitsBytes();
  }

  /** The step's cost against the goal's: ≤ 1 meets it. Each trainer's own (a), measured in its JVM. */
  double timeRatio(Trainer t) {
    return t.distillMedian() / (t.studentMedian() + FORWARD_ALLOWANCE * TrainBench.median(teacherForward));
  }

  double memoryRatio(Trainer t) {
    return t.peakKb() * 1024.0 / budgetBytes();
  }

  /**
   * The most malloc in use, KiB above the baseline, in the probed steps whose name starts with
   * {@code side} ("(c)", "(d)"); -1 when none was probed.
   */
  long inUsePeakKb(String side) {
    long peak = -1;
    for (var e : probes.entrySet()) {
      if (!e.getKey().startsWith(side)) continue;
      for (MemoryPhases.Phase p : e.getValue()) peak = Math.max(peak, p.peakKb());
    }
    return peak;
  }

  public String table() {
    DistillStepOptions o = options;
    StringBuilder out = new StringBuilder();
    line(out, "bench distill-step: a distillation step against the student's step and the teacher's forward, medians");
    line(out, "machine: %d cores, %s (%s); load average %s at the start, %s at the end (%.1f minutes)",
        machine.cores(), machine.cpu(), machine.isa(), machine.loadBefore(), machine.loadAfter(), minutes);
    line(out, "environment: %s; %s", machine.allocator(), engine);
    line(out, "student %s (%,d parameters), teacher %s (%,d parameters, %s), vocabulary %,d", o.student(),
        studentParams, o.teacher(), teacherParams, o.bf16() ? "bf16" : "float32", o.studentConfig().vocabSize());
    line(out, "batch %d x %d, temperature %s, alpha %s; %d rounds interleaved after an untimed warm-up of each",
        o.batch(), o.seq(), num(o.temperature()), num(o.alpha()), o.rounds());
    line(out, "");
    line(out, "%-58s %10s", "seconds", "median");
    line(out, "%-58s %10.3f", "(a) student training step (fused side's JVM)", fused.studentMedian());
    line(out, "%-58s %10.3f", "(a') student training step (study side's JVM)", unfused.studentMedian());
    line(out, "%-58s %10.3f", "(b) teacher forward alone (no grad, the step's autocast)",
        TrainBench.median(teacherForward));
    line(out, "%-58s %10.3f", "(c) distillation step, fused", fused.distillMedian());
    line(out, "%-58s %10.3f", "(d) distillation step, study's unfused form", unfused.distillMedian());
    line(out, "%-58s %10.3f", "  in (a): the loss (the student's CE)", TrainBench.median(fused.studentLoss()));
    line(out, "%-58s %10.3f", "  in (c): the teacher's forward and the fused loss", TrainBench.median(fused.distillLoss()));
    line(out, "%-58s %10.3f", "  in (d): the teacher's forward and the study's loss", TrainBench.median(unfused.distillLoss()));
    line(out, "time goal: (c) / ((a) + 1.15 x (b)) = %.2f, goal <= 1: %s", timeRatio(fused),
        verdict(timeRatio(fused) <= 1));
    line(out, "study's form: (d) / ((a') + 1.15 x (b)) = %.2f; (d) / (c) = %.2f", timeRatio(unfused),
        unfused.distillMedian() / fused.distillMedian());
    line(out, "");
    line(out, "memory budget: teacher weights %.0f MB + student weights, gradients, AdamW %.0f MB + one logits "
        + "[%d x %,d] %s %.0f MB = %.0f MB", mb(teacherWeightBytes()), mb(studentStateBytes()), o.tokens(),
        o.studentConfig().vocabSize(), o.bf16() ? "bf16" : "float32", mb(logitsBytes()), mb(budgetBytes()));
    line(out, "%-58s %10s %8s", "peak resident above the JVM's baseline", "MB", "/ budget");
    line(out, "%-58s %10.0f", "teacher forward alone (its JVM)", teacherPeakKb / 1024.0);
    line(out, "%-58s %10.0f", "student training steps only (fused side, teacher loaded)",
        fused.studentPeakKb() / 1024.0);
    line(out, "%-58s %10.0f %8.2f", "(c) fused distillation (its JVM, all steps)", fused.peakKb() / 1024.0,
        memoryRatio(fused));
    line(out, "%-58s %10.0f %8.2f", "(d) study's form (its JVM, all steps)", unfused.peakKb() / 1024.0,
        memoryRatio(unfused));
    long fusedInUse = inUsePeakKb("(c)");
    if (fusedInUse >= 0) {
      line(out, "%-58s %10s %8s", "peak in use (malloc) in the probed steps, above the baseline", "MB", "/ budget");
      line(out, "%-58s %10.0f %8.2f", "(c) fused distillation", fusedInUse / 1024.0, ratio(fusedInUse));
      long studysInUse = inUsePeakKb("(d)");
      if (studysInUse >= 0) {
        line(out, "%-58s %10.0f %8.2f", "(d) study's form", studysInUse / 1024.0, ratio(studysInUse));
      }
      line(out, "memory goal: fused peak in use / budget = %.2f, goal <= 1.10: %s; resident %.2f (blocks the "
          + "allocator freed and keeps)", ratio(fusedInUse), verdict(ratio(fusedInUse) <= MEMORY_ALLOWANCE),
          memoryRatio(fused));
    } else {
      line(out, "memory goal: fused resident peak / budget = %.2f, goal <= 1.10: %s (memory in use not probed: "
          + "glibc's mallinfo2 is needed)", memoryRatio(fused), verdict(memoryRatio(fused) <= MEMORY_ALLOWANCE));
    }
    // the process's fixed costs (heap, data reader, libraries' first use) sit in both peaks: their difference is
    // what distillation adds to training, against what it has to add
    line(out, "what distillation adds to the student's training: fused %.0f MB, study's form %.0f MB "
        + "(peak less the plain steps' peak, both with the teacher loaded), against one logits %.0f MB",
        (fused.peakKb() - fused.studentPeakKb()) / 1024.0, (unfused.peakKb() - unfused.studentPeakKb()) / 1024.0,
        mb(logitsBytes()));
    if (!probes.isEmpty()) {
      line(out, "");
      line(out, "native memory in use (malloc) by part of one probed step, and the resident memory at its "
          + "end; MB above the JVM's baseline:");
      line(out, "%-58s %10s %10s %10s", "step: part", "at its end", "peak in it", "resident");
      probes.forEach((step, phases) -> {
        for (MemoryPhases.Phase p : phases) {
          line(out, "%-58s %10.0f %10.0f %10.0f", step + ": " + p.name(), p.endKb() / 1024.0, p.peakKb() / 1024.0,
              p.residentKb() / 1024.0);
        }
      });
    }
    return out.toString();
  }

  private double ratio(long kb) {
    return kb * 1024.0 / budgetBytes();
  }

  private static String verdict(boolean met) {
    return met ? "met" : "NOT met";
  }

  private static String num(double x) {
    return x == Math.rint(x) ? String.valueOf((long) x) : String.valueOf(x);
  }

  private static double mb(long bytes) {
    return bytes / 1048576.0;
  }

  private static void line(StringBuilder out, String format, Object... args) {
    out.append(String.format(Locale.ROOT, format, args)).append('\n');
  }
}
