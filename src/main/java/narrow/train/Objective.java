package narrow.train;

import java.util.Map;
import narrow.model.CausalLmLoss;
import narrow.model.LlamaWeights;
import org.bytedeco.pytorch.Tensor;

/**
 * What training minimises, where an experiment plugs its loss into the step without touching it.
 * Two places, because the terms the study adds are of two kinds:
 *
 * <ul>
 *   <li>{@link #microBatchLoss}: the loss of one micro-batch's logits, with its gradient with
 *       respect to the logits (the trainer back-propagates from there). Plain training takes
 *       Hugging Face's causal-LM loss; distillation computes its combined loss from the student's
 *       logits and a teacher's.
 *   <li>{@link #afterBackward}: a term on the parameters alone (a sparsity penalty). It is the
 *       same for every micro-batch of a step, so the study's {@code λ · penalty / accumulation}
 *       per micro-batch sums to {@code λ · penalty} per step: the trainer asks for it once per
 *       optimizer step, after the replicas' gradients are averaged and before clipping, and the
 *       term adds its own gradient (a closed form where there is one, no autograd graph).
 * </ul>
 *
 * <p>State a term carries across steps (an adaptive weight, smoothed losses) is saved in every
 * checkpoint by {@link #state} and given back by {@link #restore}, so a resumed run continues
 * exactly.
 */
public interface Objective extends AutoCloseable {

  /**
   * Called once by the trainer before its first step, once the student is loaded and before any
   * step has allocated anything: where an objective loads what it needs for the whole run (a
   * teacher), so that a bad teacher fails the run at its start and the teacher's weights sit beside
   * the student's in the allocator's heap instead of among a step's freed activations.
   */
  default void prepare(Context context) {}

  /**
   * What the trainer knows before its first step.
   *
   * @param hadoop the run's Hadoop settings: how remote locations (a teacher on {@code s3a://}) are
   *     reached, with the endpoint and credentials the run uses
   * @param device the student's device
   * @param bf16 whether the steps run under bf16 autocast
   */
  record Context(org.apache.hadoop.conf.Configuration hadoop, narrow.engine.Device device, boolean bf16) {}

  /** Plain training: the causal-LM loss and nothing else. */
  Objective CAUSAL_LM = new Objective() {};

  /**
   * The loss of one micro-batch, inside the step's autograd recording, scope and autocast.
   *
   * @param batch the micro-batch, its logits and the factor its gradient is to be scaled by
   *     (1 / accumulation steps, as HF divides the loss)
   */
  default LogitsLoss microBatchLoss(MicroBatch batch) {
    CausalLmLoss.WithGradient ce = CausalLmLoss.withGradient(batch.logits(), batch.labels(), batch.scale());
    return new LogitsLoss(ce.loss(), ce.logitsGradient(), Map.of());
  }

  /**
   * Once per optimizer step: may add a term's gradient into {@code gradients} (in place) and
   * returns what it adds to the step's loss and what to log.
   *
   * @param parameters the weights the step's forward passes used
   * @param gradients their accumulated gradients, averaged over the replicas (identical on all)
   * @param losses the step's mean micro-batch losses from {@link #microBatchLoss}, averaged over
   *     the replicas: {@code loss} and each of its parts by name
   * @param step the step being taken (1-based, as logged)
   */
  default StepTerm afterBackward(LlamaWeights<Tensor> parameters, LlamaWeights<Tensor> gradients,
      Map<String, Double> losses, long step) {
    return StepTerm.NONE;
  }

  /**
   * Values an evaluation batch adds beside the model's loss (the teacher's CE on the same rows),
   * each averaged over the evaluation as the loss is, logged with an {@code eval_} prefix. Runs
   * without a graph, under the evaluation's autocast.
   *
   * @param inputIds the batch [rows, cols]
   * @param labels [rows, cols]
   */
  default Map<String, Double> evaluationTerms(Tensor inputIds, Tensor labels) {
    return Map.of();
  }

  /** The names {@link #evaluationTerms} returns, known before any batch (replicas sum them in this order). */
  default java.util.List<String> evaluationTermNames() {
    return java.util.List.of();
  }

  /** Values logged at a logging step beside the losses (e.g. how many neurons a penalty zeroed). */
  default Map<String, Object> logged(LlamaWeights<Tensor> parameters) {
    return Map.of();
  }

  /** What a checkpoint must hold for {@link #restore} to continue exactly. */
  default Map<String, Double> state() {
    return Map.of();
  }

  default void restore(Map<String, Double> state) {}

  /** Frees what the objective holds (a teacher model); the trainer calls it when it closes. */
  @Override
  default void close() {}

  /**
   * @param inputIds [rows, cols]
   * @param labels [rows, cols], {@link CausalLmLoss#IGNORE_INDEX} where no loss is taken
   * @param logits the model's output [rows, cols, vocab], to be read during
   *     {@link Objective#microBatchLoss} only: once it returns, the trainer frees their memory
   *     (their graph stays, for the backward), unless the gradient was written over them
   * @param scale what the gradient is multiplied by
   * @param step the step being taken (1-based)
   */
  record MicroBatch(Tensor inputIds, Tensor labels, Tensor logits, double scale, long step) {}

  /**
   * @param loss the micro-batch's loss (0-d float32), logged as {@code loss}, unscaled
   * @param logitsGradient d(scale · loss)/d(logits)
   * @param parts values logged beside it, averaged over the logging window (0-d tensors)
   */
  record LogitsLoss(Tensor loss, Tensor logitsGradient, Map<String, Tensor> parts) {}

  /**
   * @param addedLoss what the term adds to the step's loss (its weighted value)
   * @param averaged logged as the window's mean, like the loss
   * @param latest logged as their value at the logging step (a weight, a smoothed loss)
   */
  record StepTerm(double addedLoss, Map<String, Double> averaged, Map<String, Double> latest) {
    public static final StepTerm NONE = new StepTerm(0, Map.of(), Map.of());
  }
}
