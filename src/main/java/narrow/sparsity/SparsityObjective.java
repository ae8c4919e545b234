package narrow.sparsity;

import java.util.LinkedHashMap;
import java.util.Map;
import narrow.model.LlamaWeights;
import narrow.train.Objective;
import org.bytedeco.pytorch.Tensor;

/**
 * The study's group-sparsity fine-tuning loss: per micro-batch, data loss + λ · penalty /
 * accumulation steps. The penalty does not depend on the batch, so per optimizer step that is
 * data loss + λ · penalty whatever the accumulation count or the number of replicas; it is
 * computed once per step on the weights the step's forward passes used, and its gradient added
 * to the averaged gradients. Logs the study's keys: {@code data_loss} (unscaled),
 * {@code reg_loss} (the unweighted penalty), {@code reg_loss_weighted}, {@code total_loss},
 * {@code current_lambda} (the λ the step used) and {@code smoothed_loss}.
 */
public final class SparsityObjective implements Objective {
  private final SparsitySettings settings;
  private final AdaptiveLambda lambda;

  SparsityObjective(SparsitySettings settings) {
    this.settings = settings;
    this.lambda = new AdaptiveLambda(settings.lambda());
  }

  @Override
  public StepTerm afterBackward(LlamaWeights<Tensor> parameters, LlamaWeights<Tensor> gradients,
      Map<String, Double> losses, long step) {
    double dataLoss = losses.get("loss");
    double weight = lambda.lambda();
    double penalty = settings.penalty().apply(parameters, gradients, weight);
    lambda.observe(step, dataLoss);
    Map<String, Double> averaged = new LinkedHashMap<>();
    averaged.put("data_loss", dataLoss);
    averaged.put("reg_loss", penalty);
    averaged.put("reg_loss_weighted", weight * penalty);
    averaged.put("total_loss", dataLoss + weight * penalty);
    Map<String, Double> latest = new LinkedHashMap<>();
    latest.put("current_lambda", weight);
    latest.put("smoothed_loss", lambda.smoothedLoss());
    return new StepTerm(weight * penalty, averaged, latest);
  }

  @Override
  public Map<String, Object> logged(LlamaWeights<Tensor> parameters) {
    if (!settings.statistics()) return Map.of();
    return NormStatistics.of(GroupNorms.neurons(parameters), GroupNorms.residuals(parameters));
  }

  @Override
  public Map<String, Double> state() {
    return lambda.state();
  }

  @Override
  public void restore(Map<String, Double> state) {
    lambda.restore(state);
  }
}
