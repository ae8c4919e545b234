package narrow.prune;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import narrow.model.LlamaConfig;
import narrow.model.LlamaWeights;
import org.bytedeco.pytorch.Tensor;

/**
 * The study's mask of a pruning selection, for every parameter of the model in Hugging Face's
 * {@code named_parameters()} order: a pruned neuron zeroes its gate and up rows and its down
 * column; a pruned residual dimension zeroes its embedding column, its entry in every norm, the
 * input columns of q/k/v/gate/up and the output rows of o/down. An untied {@code lm_head} is in
 * the mask all ones (the study did not prune it, and {@code param.data *= mask[name]} over all
 * parameters must find it).
 *
 * <p>Serializable and small (index lists only), so it is what a distributed replica is sent.
 */
public record PruningMask(List<MaskedParameter> parameters) implements Serializable {

  public PruningMask {
    parameters = List.copyOf(parameters);
  }

  public static PruningMask of(PruningSelection selection, LlamaConfig c) {
    int layers = c.numHiddenLayers();
    long hidden = c.hiddenSize();
    long inter = c.intermediateSize();
    if (selection.totalResiduals() != hidden || selection.totalNeurons() != layers * inter) {
      throw new IllegalArgumentException("the selection is of " + selection.totalNeurons() + " neurons and "
          + selection.totalResiduals() + " residual dimensions; the model has " + layers * inter + " and " + hidden);
    }
    long[] res = selection.residuals().stream().mapToLong(Integer::longValue).toArray();
    long[][] neurons = new long[layers][];
    for (int l = 0; l < layers; l++) {
      int layer = l;
      neurons[l] = selection.neurons().stream().filter(n -> n.layer() == layer)
          .mapToLong(PruningSelection.Neuron::index).toArray();
    }
    long[] none = {};
    LlamaWeights<String> names = LlamaWeights.names(c);
    LlamaWeights<long[]> shapes = LlamaWeights.shapes(c);
    List<MaskedParameter> p = new ArrayList<>();
    p.add(new MaskedParameter(names.embedTokens(), shapes.embedTokens(), none, res));
    for (int l = 0; l < layers; l++) {
      LlamaWeights.Layer<String> n = names.layers().get(l);
      LlamaWeights.Layer<long[]> s = shapes.layers().get(l);
      p.add(new MaskedParameter(n.q(), s.q(), none, res));
      p.add(new MaskedParameter(n.k(), s.k(), none, res));
      p.add(new MaskedParameter(n.v(), s.v(), none, res));
      p.add(new MaskedParameter(n.o(), s.o(), res, none));
      p.add(new MaskedParameter(n.gate(), s.gate(), neurons[l], res));
      p.add(new MaskedParameter(n.up(), s.up(), neurons[l], res));
      p.add(new MaskedParameter(n.down(), s.down(), res, neurons[l]));
      p.add(new MaskedParameter(n.inputNorm(), s.inputNorm(), res, none));
      p.add(new MaskedParameter(n.postAttentionNorm(), s.postAttentionNorm(), res, none));
    }
    p.add(new MaskedParameter(names.norm(), shapes.norm(), res, none));
    if (names.lmHead() != null) p.add(new MaskedParameter(names.lmHead(), shapes.lmHead(), none, none));
    return new PruningMask(p);
  }

  /** Elements of all masked parameters: the float32 mask file is 4 bytes each. */
  public long numel() {
    return parameters.stream().mapToLong(MaskedParameter::numel).sum();
  }

  /** The parameters a model keeps under this mask: {@code sum(m.sum() for m in mask.values())}. */
  public long kept() {
    return parameters.stream().mapToLong(MaskedParameter::kept).sum();
  }

  /**
   * Zeroes the pruned entries of {@code tensors} (parameters or their gradients, by parameter
   * name) in place; call with grad mode off. A name the model lacks, or a shape that differs, is
   * an error: the mask was made for another model.
   */
  public void applyTo(Map<String, Tensor> tensors) {
    for (MaskedParameter m : parameters) {
      if (m.isIdentity()) continue;
      Tensor t = tensors.get(m.name());
      if (t == null) throw new IllegalArgumentException("the model has no parameter " + m.name() + " to mask");
      long[] shape = narrow.engine.Tensors.shape(t);
      if (!Arrays.equals(shape, m.shape())) {
        throw new IllegalArgumentException(m.name() + " is " + Arrays.toString(shape) + ", the mask is "
            + Arrays.toString(m.shape()));
      }
      m.applyTo(t);
    }
  }
}
