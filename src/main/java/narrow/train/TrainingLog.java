package narrow.train;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Hugging Face's {@code log_history} bookkeeping: losses averaged over the logging window (the
 * steps since the last log), evaluation entries, and the summary entry at the end, appended to
 * {@link TrainerState} with one console line each. Its window and totals are part of a
 * checkpoint's {@link TrainingPosition}, so a resumed run logs what the uninterrupted one would.
 */
final class TrainingLog {
  private final TrainerState state;
  private final Consumer<String> console;
  private long windowStartStep;
  private Map<String, Double> windowSums = new LinkedHashMap<>();
  private Map<String, Double> latest = new LinkedHashMap<>();
  private double trainLossSum;

  TrainingLog(TrainerState state, Consumer<String> console) {
    this.state = state;
    this.console = console;
  }

  /** A step's losses (the replicas' means; {@code loss} first) and the values logged as they are. */
  void addStep(Map<String, Double> losses, Map<String, Double> latestValues) {
    trainLossSum += losses.get("loss");
    losses.forEach((k, v) -> windowSums.merge(k, v, Double::sum));
    latest = new LinkedHashMap<>(latestValues);
  }

  /** The entry of a logging step: window means, then the latest values and {@code extra}. */
  void logWindow(double gradNorm, double learningRate, long maxSteps, Map<String, Object> extra) {
    long n = state.globalStep - windowStartStep;
    Map<String, Object> entry = new LinkedHashMap<>();
    // HF rounds to 4 digits; kept exact so resumed runs can be compared to 1e-6
    entry.put("loss", windowSums.getOrDefault("loss", 0.0) / n);
    for (Map.Entry<String, Double> e : windowSums.entrySet()) {
      if (!e.getKey().equals("loss")) entry.put(e.getKey(), e.getValue() / n);
    }
    entry.putAll(latest);
    entry.putAll(extra);
    entry.put("grad_norm", gradNorm);
    entry.put("learning_rate", learningRate);
    entry.put("epoch", state.epoch);
    entry.put("step", state.globalStep);
    state.logHistory.add(entry);
    console.accept(String.format(Locale.ROOT, "step %d/%d: loss %.4f, grad_norm %.4f, lr %.3g, epoch %.3f",
        state.globalStep, maxSteps, (double) entry.get("loss"), gradNorm, learningRate, state.epoch));
    windowSums = new LinkedHashMap<>();
    windowStartStep = state.globalStep;
  }

  void logEvaluation(Evaluator.Evaluation e, double seconds) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("eval_loss", e.loss());
    e.terms().forEach((k, v) -> entry.put("eval_" + k, v));
    entry.put("eval_runtime", round4(seconds));
    entry.put("eval_samples_per_second", round3(e.rows() / seconds));
    entry.put("eval_steps_per_second", round3(e.batches() / seconds));
    entry.put("epoch", state.epoch);
    entry.put("step", state.globalStep);
    state.logHistory.add(entry);
    console.accept(String.format(Locale.ROOT, "step %d: eval_loss %.4f (%d rows, %.1fs)",
        state.globalStep, e.loss(), e.rows(), seconds));
  }

  /** HF's last entry: the run's totals, {@code train_loss} the mean step loss from step 1. */
  void logEnd(long stepsThisSession, double runtime, long samplesPerStep) {
    Map<String, Object> last = new LinkedHashMap<>();
    last.put("epoch", state.epoch);
    last.put("step", state.globalStep);
    last.put("total_flos", state.totalFlos);
    last.put("train_loss", trainLoss());
    last.put("train_runtime", round4(runtime));
    last.put("train_samples_per_second", round3(stepsThisSession * samplesPerStep / runtime));
    last.put("train_steps_per_second", round3(stepsThisSession / runtime));
    state.logHistory.add(last);
  }

  double trainLoss() {
    return trainLossSum / Math.max(1, state.globalStep);
  }

  long windowStartStep() {
    return windowStartStep;
  }

  Map<String, Double> windowSums() {
    return new LinkedHashMap<>(windowSums);
  }

  double trainLossSum() {
    return trainLossSum;
  }

  void restore(TrainingPosition p) {
    windowStartStep = p.windowStartStep();
    windowSums = new LinkedHashMap<>(p.windowSums());
    trainLossSum = p.trainLossSum();
  }

  static double round4(double x) {
    return Math.round(x * 1e4) / 1e4;
  }

  static double round3(double x) {
    return Math.round(x * 1e3) / 1e3;
  }
}
