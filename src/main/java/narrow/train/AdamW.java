package narrow.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import narrow.model.Autograd;

/**
 * {@code torch.optim.AdamW} (single-tensor path): decoupled weight decay
 * {@code p -= lr·wd·p}, bias-corrected moments, eps added after the square root of the
 * bias-corrected second moment. Parameters for which {@code decays} is false get no weight decay
 * (HF Trainer: norm weights and biases). State lives in the manager given at construction.
 */
public final class AdamW implements AutoCloseable {

  /** Hyper-parameters other than the learning rate, which the schedule supplies per step. */
  public record Settings(double beta1, double beta2, double eps, double weightDecay) {
    public static Settings hf(double weightDecay) {
      return new Settings(0.9, 0.999, 1e-8, weightDecay);
    }
  }

  /** HF Trainer's rule: no decay for parameters of LayerNorm-like modules (RMSNorm here) or biases. */
  public static Predicate<String> hfDecays() {
    return name -> !(name.endsWith("norm.weight") || name.contains("bias"));
  }

  private final Settings settings;
  private final Predicate<String> decays;
  private final NDManager manager;
  private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
  private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
  private long step;

  public AdamW(Settings settings, Predicate<String> decays, NDManager parent) {
    this.settings = settings;
    this.decays = decays;
    this.manager = parent.newSubManager();
    this.manager.setName("adamw-state");
  }

  public Settings settings() {
    return settings;
  }

  /** Optimizer steps taken so far. */
  public long stepCount() {
    return step;
  }

  /**
   * One update of every parameter that has a gradient, in place. {@code params} and {@code grads}
   * are keyed by parameter name; parameters without a gradient are skipped (torch: grad is None).
   * The gradients are overwritten (used as scratch): zero them before the next backward.
   */
  public void step(Map<String, NDArray> params, Map<String, NDArray> grads, double lr) {
    step++;
    double b1 = settings.beta1(), b2 = settings.beta2();
    double bias1 = 1 - Math.pow(b1, step);
    double bias2Sqrt = Math.sqrt(1 - Math.pow(b2, step));
    double stepSize = lr / bias1;
    // in-place updates of leaves that require gradients: only legal with grad mode off
    try (Autograd.Scope noGrad = Autograd.noGrad(); NDScope scope = new NDScope()) {
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        String name = e.getKey();
        NDArray p = e.getValue();
        NDArray g = grads.get(name);
        if (g == null) continue;
        NDArray m = moment(expAvg, name, p);
        NDArray v = moment(expAvgSq, name, p);
        if (decays.test(name) && settings.weightDecay() != 0) {
          p.muli((float) (1 - lr * settings.weightDecay()));
        }
        // The gradient serves as scratch space so that only two temporaries are allocated per
        // tensor, as in torch's single-tensor AdamW: fresh 100 MB buffers per step cost page faults.
        g.muli((float) (1 - b1));
        m.muli((float) b1).addi(g); // m = b1·m + (1-b1)·g
        g.muli(g).muli((float) ((1 - b2) / ((1 - b1) * (1 - b1))));
        v.muli((float) b2).addi(g); // v = b2·v + (1-b2)·g²
        NDArray denom = v.sqrt().divi((float) bias2Sqrt).addi((float) settings.eps());
        p.subi(m.div(denom).muli((float) stepSize));
      }
    }
  }

  private NDArray moment(Map<String, NDArray> moments, String name, NDArray like) {
    NDArray m = moments.get(name);
    if (m == null) {
      m = manager.zeros(like.getShape(), like.getDataType(), like.getDevice());
      NDScope.unregister(m);
      moments.put(name, m);
    }
    return m;
  }

  /** The state to checkpoint: {@code exp_avg.<param>} and {@code exp_avg_sq.<param>}. */
  public Map<String, NDArray> stateTensors() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    expAvg.forEach((k, v) -> out.put("exp_avg." + k, v));
    expAvgSq.forEach((k, v) -> out.put("exp_avg_sq." + k, v));
    return out;
  }

  /** Restores what {@link #stateTensors()} and {@link #stepCount()} gave; the arrays are copied. */
  public void restore(Map<String, NDArray> state, long stepCount) {
    expAvg.values().forEach(NDArray::close);
    expAvgSq.values().forEach(NDArray::close);
    expAvg.clear();
    expAvgSq.clear();
    for (Map.Entry<String, NDArray> e : state.entrySet()) {
      String key = e.getKey();
      // duplicate() is a real copy; toType(same type, copy=true) may alias the source's memory,
      // which a reader may have mapped from a buffer that is freed once the source is closed
      NDArray copy = e.getValue().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).duplicate();
      copy.attach(manager);
      if (key.startsWith("exp_avg_sq.")) {
        expAvgSq.put(key.substring("exp_avg_sq.".length()), copy);
      } else if (key.startsWith("exp_avg.")) {
        expAvg.put(key.substring("exp_avg.".length()), copy);
      } else {
        copy.close();
        throw new IllegalArgumentException("not an AdamW state tensor: " + key);
      }
    }
    this.step = stepCount;
  }

  @Override
  public void close() {
    manager.close();
  }
}
