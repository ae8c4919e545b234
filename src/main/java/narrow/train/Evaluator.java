package narrow.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import narrow.data.RowGroup;
import narrow.data.TokenizedDataset;
import narrow.engine.Autocast;
import narrow.engine.Autograd;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.CausalLmLoss;
import narrow.model.LlamaForCausalLM;
import narrow.util.UserError;
import org.bytedeco.pytorch.Tensor;

/**
 * Validation loss as Hugging Face's evaluation loop computes it: each batch's mean loss weighted
 * by its number of rows, batches in order, no gradients. Used by training at its eval steps and
 * by pruning before and after it cuts.
 */
public final class Evaluator {
  private Evaluator() {}

  /**
   * An evaluation's loss and how much it covered.
   *
   * @param terms the objective's {@link Objective#evaluationTerms}, averaged as the loss
   */
  public record Evaluation(double loss, long rows, long batches, Map<String, Double> terms) {}

  /**
   * The eval loss of {@code model} on the validation split of {@code dataset}, as training logs
   * it ({@code max_eval_samples}, {@code per_device_eval_batch_size}, {@code max_length} and the
   * bf16 setting of {@code args}): e.g. a base model's before and right after pruning.
   */
  public static double evaluateValidation(LlamaForCausalLM model, TokenizedDataset dataset, TrainingArguments args)
      throws IOException {
    List<RowGroup> validation = dataset.rowGroups("validation");
    if (validation.isEmpty()) {
      throw new UserError("tokenized dataset " + dataset.root() + " has no shards in its validation split");
    }
    return evaluate(model, validationRows(dataset, validation, args), args.perDeviceEvalBatchSize(),
        args.bf16On(model.device()), Replicas.single(), Objective.CAUSAL_LM).loss();
  }

  /** The validation rows training evaluates on: at most {@code max_eval_samples}, cut to {@code max_length}. */
  static Iterator<int[]> validationRows(TokenizedDataset dataset, List<RowGroup> validation, TrainingArguments args) {
    long limit = args.maxEvalSamples() != null ? args.maxEvalSamples() : Long.MAX_VALUE;
    return new SplitRows(dataset, validation, args.maxLength(), limit);
  }

  /**
   * Evaluation spread over replicas, streamed: batch i (rows in the order given) is evaluated by
   * replica i mod size; every replica reads the same rows and adds all batches' results in batch
   * order, so the result is the single-process one whatever the replica count. Under bf16
   * autocast when asked. The objective's evaluation terms come out beside the loss.
   */
  public static Evaluation evaluate(LlamaForCausalLM model, Iterator<int[]> rows, int batchSize, boolean bf16,
      Replicas replicas, Objective objective) {
    long padId = model.config().padId();
    List<Double> weighted = new ArrayList<>();
    Map<String, List<Double>> terms = new LinkedHashMap<>();
    for (String name : objective.evaluationTermNames()) terms.put(name, new ArrayList<>());
    long count = 0;
    try (Autograd.Scope noGrad = Autograd.noGrad()) {
      while (rows.hasNext()) {
        List<int[]> part = new ArrayList<>(batchSize);
        while (part.size() < batchSize && rows.hasNext()) part.add(rows.next());
        int i = weighted.size();
        count += part.size();
        weighted.add(0.0);
        for (List<Double> t : terms.values()) t.add(0.0);
        if (i % replicas.size() != replicas.rank()) continue;
        Batch b = Batch.collate(part, padId);
        try (TensorScope scope = new TensorScope();
            Autocast autocast = Autocast.bf16If(bf16, model.device())) {
          Tensor ids = Tensors.longs(b.inputIds(), model.device(), b.rows(), b.cols());
          Tensor labels = Tensors.longs(b.labels(), model.device(), b.rows(), b.cols());
          weighted.set(i, Tensors.value(CausalLmLoss.loss(model.logits(ids), labels)) * part.size());
          for (Map.Entry<String, Double> t : objective.evaluationTerms(ids, labels).entrySet()) {
            terms.get(t.getKey()).set(i, t.getValue() * part.size());
          }
        }
      }
    }
    if (count == 0) {
      throw new UserError("no validation rows to evaluate (the split is empty, or every row has fewer "
          + "than 2 ids); set train.eval_steps: 0 to train without evaluation");
    }
    double[] all = replicas.sum(toArray(weighted)); // each batch's value comes from one replica, zeros elsewhere
    Map<String, Double> termMeans = new LinkedHashMap<>();
    for (Map.Entry<String, List<Double>> t : terms.entrySet()) {
      // every replica has the same objective, so the same names in the same order: the sums line up
      termMeans.put(t.getKey(), sum(replicas.sum(toArray(t.getValue()))) / count);
    }
    return new Evaluation(sum(all) / count, count, all.length, termMeans);
  }

  private static double[] toArray(List<Double> values) {
    double[] out = new double[values.size()];
    for (int i = 0; i < out.length; i++) out[i] = values.get(i);
    return out;
  }

  private static double sum(double[] values) {
    double s = 0;
    for (double v : values) s += v;
    return s;
  }
}
