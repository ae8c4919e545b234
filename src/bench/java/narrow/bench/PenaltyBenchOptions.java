package narrow.bench;

import java.util.ArrayList;
import java.util.List;
import narrow.model.LlamaConfig;
import narrow.sparsity.Penalty;
import narrow.util.UserError;

/**
 * What {@code bench penalty} measures: a slice of Llama-3.2-1B's shape ({@code layers} decoder
 * layers of width {@code hidden}, MLP {@code intermediate}, {@code heads} attention heads and
 * {@code kvHeads} key/value heads, a tied vocabulary of {@code vocab}) trained in bf16 autocast at
 * {@code batch} × {@code seq}, accumulation 1, for {@code rounds} interleaved rounds; the step with
 * the penalty uses {@code stepPenalty} at weight {@code lambda}; the penalties timed alone are
 * {@code penalties}.
 */
public record PenaltyBenchOptions(int layers, int hidden, int intermediate, int heads, int kvHeads, int vocab,
    int batch, int seq, int rounds, List<Penalty> penalties, Penalty stepPenalty, double lambda) {

  public PenaltyBenchOptions {
    if (layers < 1 || hidden < 1 || intermediate < 1 || heads < 1 || kvHeads < 1 || vocab < 2) {
      throw new UserError("--layers, --hidden, --intermediate, --heads and --kv-heads must be at least 1, "
          + "--vocab at least 2");
    }
    if (hidden % heads != 0 || (hidden / heads) % 2 != 0) {
      throw new UserError("--hidden " + hidden + " must be --heads " + heads + " times an even head width "
          + "(rope rotates pairs): pick --heads among its divisors");
    }
    if (heads % kvHeads != 0) {
      throw new UserError("--heads " + heads + " must be a multiple of --kv-heads " + kvHeads);
    }
    if (batch < 1 || seq < 2 || rounds < 1) {
      throw new UserError("--batch and --rounds must be at least 1, --seq at least 2");
    }
    if (penalties.isEmpty()) throw new UserError("--penalties names none; one or more of " + Penalty.names());
    if (!(lambda > 0)) throw new UserError("--lambda must be positive, got " + lambda);
    penalties = List.copyOf(penalties);
  }

  /** Llama-3.2-1B's widths, 2 of its 16 layers, its vocabulary, batch 1 × 1024: the study's rows. */
  public static PenaltyBenchOptions defaults() {
    LlamaConfig b = PruneBenchOptions.llama32OneB();
    return new PenaltyBenchOptions(2, b.hiddenSize(), b.intermediateSize(), b.numAttentionHeads(),
        b.numKeyValueHeads(), b.vocabSize(), 1, 1024, 3, List.of(Penalty.values()), Penalty.L1_OF_L2_OF_MLPS, 5e-4);
  }

  /** The penalties by their study names, as {@code --penalties} gives them. */
  public static List<Penalty> penalties(List<String> names) {
    List<Penalty> out = new ArrayList<>();
    for (String n : names) {
      try {
        out.add(Penalty.named(n.trim()));
      } catch (IllegalArgumentException e) {
        throw new UserError("--penalties: " + e.getMessage());
      }
    }
    return out;
  }

  /** Llama-3.2-1B's config (tied, its rope and norms) with this slice's sizes. */
  public LlamaConfig config() {
    LlamaConfig b = PruneBenchOptions.llama32OneB();
    // a vocabulary smaller than Llama's has no id 128000: its last ids stand in for bos and eos
    int bos = Math.min(b.bosTokenId(), vocab - 2);
    int eos = Math.min(b.eosTokenId(), vocab - 1);
    return new LlamaConfig(vocab, hidden, intermediate, layers, heads, kvHeads, hidden / heads, b.rmsNormEps(),
        b.ropeTheta(), b.ropeScaling(), b.maxPositionEmbeddings(), true, bos, List.of(eos), null,
        b.initializerRange(), b.torchDtype(), b.extra());
  }
}
