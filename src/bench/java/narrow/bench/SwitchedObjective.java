package narrow.bench;

import java.util.Map;
import narrow.model.LlamaWeights;
import narrow.train.Objective;
import org.bytedeco.pytorch.Tensor;

/**
 * An objective switched on and off between steps: plain causal-LM training while off, the wrapped
 * one's micro-batch loss and step term while on. So the steps with and without a penalty (or a
 * teacher) run on one trainer, one model and one set of optimizer state, instead of two trainers
 * that would double the memory and each see the other's load. Keeps the seconds the wrapped step
 * term took inside the steps.
 */
final class SwitchedObjective implements Objective {
  private final Objective on;
  private boolean enabled;
  private double lastSeconds;
  private double lastLossSeconds;
  private MemoryPhases probe;

  SwitchedObjective(Objective on) {
    this.on = on;
  }

  /** The wrapped objective prepares as a trainer of its own would prepare it (a teacher loaded before any step). */
  @Override
  public void prepare(Context context) {
    on.prepare(context);
  }

  void enable(boolean enabled) {
    this.enabled = enabled;
  }

  /** Marks the micro-batch loss's start and end in {@code probe} from now on; null stops. */
  void probe(MemoryPhases probe) {
    this.probe = probe;
  }

  /** Seconds the wrapped term took in the last step it was on in. */
  double lastSeconds() {
    return lastSeconds;
  }

  /**
   * Seconds the last step's micro-batch losses took: the CE while off, the wrapped loss (a
   * teacher's forward and the distillation pass) while on.
   */
  double lastLossSeconds() {
    return lastLossSeconds;
  }

  /** Starts counting {@link #lastLossSeconds} for a new step. */
  void startStep() {
    lastLossSeconds = 0;
  }

  @Override
  public LogitsLoss microBatchLoss(MicroBatch batch) {
    if (probe != null) probe.mark("student forward");
    long t0 = System.nanoTime();
    LogitsLoss loss = enabled ? on.microBatchLoss(batch) : Objective.super.microBatchLoss(batch);
    lastLossSeconds += (System.nanoTime() - t0) / 1e9;
    if (probe != null) probe.mark(enabled ? "teacher forward and loss" : "loss");
    return loss;
  }

  @Override
  public StepTerm afterBackward(LlamaWeights<Tensor> parameters, LlamaWeights<Tensor> gradients,
      Map<String, Double> losses, long step) {
    if (!enabled) return StepTerm.NONE;
    long t0 = System.nanoTime();
    StepTerm term = on.afterBackward(parameters, gradients, losses, step);
    lastSeconds = (System.nanoTime() - t0) / 1e9;
    return term;
  }

  /** Frees what the wrapped objective holds (a teacher), whether on or off. */
  @Override
  public void close() {
    on.close();
  }
}
