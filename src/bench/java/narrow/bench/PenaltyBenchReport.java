package narrow.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import narrow.model.LlamaConfig;
import narrow.sparsity.Penalty;

/**
 * What {@link PenaltyBench} measured, and the table it prints: the steps' and the penalties'
 * median seconds, and the penalty's share of a step three ways, each the median over the rounds
 * of the round's own ratio: measured inside the step
 * ((b) − (a)) / (a), the penalty alone against the step (c) / (a), and implied at the study's
 * batch, where one penalty evaluation serves {@value #STUDY_ROWS} rows of {@value #STUDY_ROW_TOKENS}
 * tokens (tuneprune15-redo: batch 18 × accumulation 6 per optimizer step).
 *
 * @param engine libtorch, its BLAS, threads, attention and autocast, in words
 * @param params the model's parameters (a tied head counted once)
 * @param plain (a): every timed step without the penalty, one a round; every array is by round
 * @param plainOptimizer the optimizer phase (clipping, AdamW, dropping gradients) of those steps
 * @param penalized (b): every timed step with the step penalty
 * @param inStep the step penalty's own seconds inside each (b) step
 * @param alone (c): per penalty, every timed {@link Penalty#apply} on the model's weights
 */
public record PenaltyBenchReport(PenaltyBenchOptions options, TrainBenchReport.Machine machine, String engine,
    long params, double[] plain, double[] plainOptimizer, double[] penalized, double[] inStep,
    Map<Penalty, double[]> alone, double minutes) {

  /** Rows of the study's optimizer step: per_device_train_batch_size 18 × gradient_accumulation_steps 6. */
  static final int STUDY_ROWS = 18 * 6;
  static final int STUDY_ROW_TOKENS = 1024;

  /**
   * ((b) − (a)) / (a), the steps of one round paired: what switching the penalty on added to the
   * step. The other work on a shared machine moves a step's time by more than the penalty, and
   * it moves less between two adjacent steps than across the run.
   */
  double directShare() {
    return perRound(r -> (penalized[r] - plain[r]) / plain[r]);
  }

  /** The penalty's seconds timed inside a (b) step over the rest of that same step: no other step's load in it. */
  double inStepShare() {
    return perRound(r -> inStep[r] / (penalized[r] - inStep[r]));
  }

  /** (c) / (a), each round's penalty against the same round's step. */
  double aloneShare(Penalty p) {
    return perRound(r -> alone.get(p)[r] / plain[r]);
  }

  /** (c) / ({@value #STUDY_ROWS} × (a) per row of {@value #STUDY_ROW_TOKENS} tokens). */
  double studyShare(Penalty p) {
    return perRound(r -> alone.get(p)[r] / (STUDY_ROWS * perStudyRow(plain[r])));
  }

  /**
   * The same with the optimizer phase counted once per study step, as the study runs it, and the
   * forward and backward {@value #STUDY_ROWS} times: a smaller denominator, a larger share.
   */
  double studyShareOptimizerOnce(Penalty p) {
    return perRound(r -> alone.get(p)[r]
        / (STUDY_ROWS * perStudyRow(plain[r] - plainOptimizer[r]) + plainOptimizer[r]));
  }

  /** Seconds for one row of the study's length, assuming a step's time is proportional to its tokens. */
  private double perStudyRow(double stepSeconds) {
    return stepSeconds * STUDY_ROW_TOKENS / ((double) options.batch() * options.seq());
  }

  private double perRound(java.util.function.IntToDoubleFunction ratio) {
    double[] r = new double[plain.length];
    for (int i = 0; i < r.length; i++) r[i] = ratio.applyAsDouble(i);
    return TrainBench.median(r);
  }

  /**
   * The decoder layers' matmul parameters over the head's: what sets how the step's time splits,
   * and so the share of a penalty on the layers. A slice with fewer layers than the full model
   * keeps the full model's proportion with a vocabulary cut in the same measure.
   */
  static double layersToHead(LlamaConfig c) {
    ModelShape s = ModelShape.of(c);
    return s.layers() * s.layerMatmulParams() / (double) s.headParams();
  }

  /** The vocabulary at which this slice has Llama-3.2-1B's {@link #layersToHead}. */
  int proportionalVocab() {
    LlamaConfig full = PruneBenchOptions.llama32OneB();
    return (int) Math.round(full.vocabSize() * (double) options.layers() / full.numHiddenLayers()
        * ModelShape.of(options.config()).layerMatmulParams() / ModelShape.of(full).layerMatmulParams()
        * full.hiddenSize() / options.hidden());
  }

  public String table() {
    PenaltyBenchOptions o = options;
    StringBuilder out = new StringBuilder();
    line(out, "bench penalty: the sparsity penalty and its gradient against a training step, one process, medians");
    line(out, "machine: %d cores, %s (%s); load average %s at the start, %s at the end (%.1f minutes)",
        machine.cores(), machine.cpu(), machine.isa(), machine.loadBefore(), machine.loadAfter(), minutes);
    line(out, "environment: %s; OMP_WAIT_POLICY=%s; %s", machine.allocator(), machine.ompWaitPolicy(), engine);
    line(out, "model: Llama-3.2-1B's shape, %d layer(s): hidden %d, intermediate %d, %d heads, %d key/value heads "
        + "(head width %d),", o.layers(), o.hidden(), o.intermediate(), o.heads(), o.kvHeads(), o.hidden() / o.heads());
    line(out, "  vocabulary %,d, tied; %,d parameters (float32 master weights, AdamW state float32)", o.vocab(),
        params);
    line(out, "  layers : head in matmul parameters %.2f : 1, Llama-3.2-1B's %.2f : 1 (--vocab %d keeps its proportion "
        + "at %d layer(s))", layersToHead(o.config()), layersToHead(PruneBenchOptions.llama32OneB()),
        proportionalVocab(), o.layers());
    line(out, "batch %d x %d, accumulation 1; %d rounds interleaved after an untimed warm-up of each", o.batch(),
        o.seq(), o.rounds());
    line(out, "");
    line(out, "  %-58s %9s %19s", "", "seconds", "[min - max]");
    row(out, "(a) training step without penalty", plain);
    row(out, "    of which optimizer (clipping, AdamW)", plainOptimizer);
    row(out, String.format(Locale.ROOT, "(b) training step with %s, lambda %s", o.stepPenalty().studyName(),
        o.lambda()), penalized);
    row(out, "    of which the penalty and its gradient (timed inside)", inStep);
    line(out, "  penalty's share of a step, measured directly: ((b) - (a)) / (a) = %.2f%%; timed inside (b), over the "
        + "rest of", 100 * directShare());
    line(out, "  its step: %.2f%%  (shares: medians over the rounds of each round's ratio; the difference of two steps "
        + "is", 100 * inStepShare());
    line(out, "  noise-bound where other work shares the cores: it moves a step by more than the penalty takes)");
    line(out, "");
    line(out, "(c) Penalty.apply alone on the model's weights, adding its gradient into zero tensors, per penalty:");
    line(out, "  %-28s %9s %19s %9s %13s %13s", "penalty", "seconds", "[min - max]", "(c)/(a)", "study share",
        "AdamW once");
    for (Map.Entry<Penalty, double[]> e : alone.entrySet()) {
      Penalty p = e.getKey();
      line(out, "  %-28s %9.4f [%7.4f - %7.4f] %8.2f%% %12.3f%% %12.3f%%", p.studyName(),
          TrainBench.median(e.getValue()), min(e.getValue()), max(e.getValue()), 100 * aloneShare(p),
          100 * studyShare(p), 100 * studyShareOptimizerOnce(p));
    }
    line(out, "  study share: (c) / (%d x (a) per row of %d tokens): the penalty is evaluated once per optimizer "
        + "step, which in", STUDY_ROWS, STUDY_ROW_TOKENS);
    line(out, "  tuneprune15-redo is %d rows of %d tokens (batch 18 x accumulation 6); assumes a step's time is "
        + "proportional", STUDY_ROWS, STUDY_ROW_TOKENS);
    line(out, "  to its tokens (here (a) per row: %.3f s). AdamW once: the same with (a)'s optimizer phase counted "
        + "once per", perStudyRow(TrainBench.median(plain)));
    line(out, "  study step rather than per row. (goal: at most 5%% of a step)");
    return out.toString();
  }

  private static void row(StringBuilder out, String label, double[] seconds) {
    line(out, "  %-58s %9.4f [%7.4f - %7.4f]", label, TrainBench.median(seconds), min(seconds), max(seconds));
  }

  private static double min(double[] xs) {
    return Arrays.stream(xs).min().orElse(Double.NaN);
  }

  private static double max(double[] xs) {
    return Arrays.stream(xs).max().orElse(Double.NaN);
  }

  private static void line(StringBuilder out, String format, Object... args) {
    out.append(String.format(Locale.ROOT, format, args)).append('\n');
  }
}
