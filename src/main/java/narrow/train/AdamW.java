package narrow.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import narrow.engine.Autograd;
import narrow.engine.FusedAdamW;
import narrow.engine.Ops;
import narrow.engine.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * {@code torch.optim.AdamW}: decoupled weight decay, bias-corrected moments, eps added after the
 * square root of the bias-corrected second moment. Parameters for which {@code decays} is false get no weight decay (HF
 * Trainer: norm weights and biases). The update is libtorch's fused kernel ({@link FusedAdamW},
 * torch's {@code fused=True}), whose numbers equal those of torch's default single-tensor form. The
 * moments are float32 tensors owned here, so a checkpoint can store them by parameter name
 * (libtorch's {@code torch::optim::AdamW} keeps its state where the Java bindings cannot reach it).
 */
public final class AdamW implements AutoCloseable {

  /** Hyper-parameters other than the learning rate, which the schedule supplies per step. */
  public record Settings(double beta1, double beta2, double eps, double weightDecay) {}

  /** HF Trainer's rule: no decay for parameters of LayerNorm-like modules (RMSNorm here) or biases. */
  public static Predicate<String> hfDecays() {
    return name -> !(name.endsWith("norm.weight") || name.contains("bias"));
  }

  private final Settings settings;
  private final Predicate<String> decays;
  private final Map<String, Tensor> expAvg = new LinkedHashMap<>();
  private final Map<String, Tensor> expAvgSq = new LinkedHashMap<>();
  private long step;

  public AdamW(Settings settings, Predicate<String> decays) {
    this.settings = settings;
    this.decays = decays;
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
   */
  public void step(Map<String, Tensor> params, Map<String, Tensor> grads, double lr) {
    step++;
    // one call of the fused kernel per weight decay, as torch's param groups
    Map<Double, Group> groups = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : params.entrySet()) {
      String name = e.getKey();
      Tensor g = grads.get(name);
      if (g == null) continue;
      Tensor p = e.getValue();
      double wd = decays.test(name) ? settings.weightDecay() : 0;
      groups.computeIfAbsent(wd, k -> new Group()).add(p, g, moment(expAvg, name, p), moment(expAvgSq, name, p));
    }
    // in-place updates of leaves that require gradients: only legal with grad mode off
    try (Autograd.Scope noGrad = Autograd.noGrad()) {
      groups.forEach((wd, group) -> FusedAdamW.step(group.params, group.grads, group.expAvgs, group.expAvgSqs,
          step, lr, settings.beta1(), settings.beta2(), settings.eps(), wd));
    }
  }

  /** The parallel lists of one weight decay's parameters. */
  private static final class Group {
    final List<Tensor> params = new ArrayList<>();
    final List<Tensor> grads = new ArrayList<>();
    final List<Tensor> expAvgs = new ArrayList<>();
    final List<Tensor> expAvgSqs = new ArrayList<>();

    void add(Tensor param, Tensor grad, Tensor m, Tensor v) {
      params.add(param);
      grads.add(grad);
      expAvgs.add(m);
      expAvgSqs.add(v);
    }
  }

  private static Tensor moment(Map<String, Tensor> moments, String name, Tensor like) {
    return moments.computeIfAbsent(name,
        k -> Tensors.own(Tensors.zeros(Ops.deviceOf(like), Tensors.shape(like))));
  }

  /** The state to checkpoint: {@code exp_avg.<param>} and {@code exp_avg_sq.<param>}. */
  public Map<String, Tensor> stateTensors() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    expAvg.forEach((k, v) -> out.put("exp_avg." + k, v));
    expAvgSq.forEach((k, v) -> out.put("exp_avg_sq." + k, v));
    return out;
  }

  /** Restores what {@link #stateTensors()} and {@link #stepCount()} gave; takes ownership of the tensors. */
  public void restore(Map<String, Tensor> state, long stepCount) {
    freeMoments();
    for (Map.Entry<String, Tensor> e : state.entrySet()) {
      String key = e.getKey();
      if (key.startsWith("exp_avg_sq.")) {
        expAvgSq.put(key.substring("exp_avg_sq.".length()), e.getValue());
      } else if (key.startsWith("exp_avg.")) {
        expAvg.put(key.substring("exp_avg.".length()), e.getValue());
      } else {
        throw new IllegalArgumentException("not an AdamW state tensor: " + key);
      }
    }
    this.step = stepCount;
  }

  private void freeMoments() {
    expAvg.values().forEach(Tensors::free);
    expAvgSq.values().forEach(Tensors::free);
    expAvg.clear();
    expAvgSq.clear();
  }

  @Override
  public void close() {
    freeMoments();
  }
}
