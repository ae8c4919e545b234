package narrow.prune;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The random baseline: neurons (all layers together) and residual dimensions drawn with a seeded
 * generator, as many as {@link PruningSelection#pruneCount} of each.
 *
 * <p>By default both are drawn without replacement (a partial Fisher–Yates shuffle), so the
 * achieved sparsity is the one asked for. The study's script drew neurons with replacement, so
 * it pruned fewer distinct neurons than asked; {@code withReplacement} reproduces that (the draws
 * are repeated indices, the distinct ones pruned). Residual dimensions are always drawn without
 * replacement. The draw is Java's {@link SplittableRandom}, not the study's generator: the same
 * seed gives the same selection here, not the study's.
 */
public final class RandomPruning {
  private RandomPruning() {}

  public static PruningSelection draw(int layers, int neuronsPerLayer, int residuals, double neuronSparsity,
      double residualSparsity, long seed, boolean withReplacement) {
    int totalNeurons = Math.multiplyExact(layers, neuronsPerLayer);
    int neuronCount = PruningSelection.pruneCount(totalNeurons, neuronSparsity, "neuron");
    int residualCount = PruningSelection.pruneCount(residuals, residualSparsity, "residual");
    SplittableRandom neuronRng = new SplittableRandom(seed);
    // the residuals' own stream, so the neuron draw (and its mode) does not move them
    SplittableRandom residualRng = new SplittableRandom(seed).split();
    List<Integer> flat = withReplacement
        ? distinctDraws(neuronRng, totalNeurons, neuronCount)
        : withoutReplacement(neuronRng, totalNeurons, neuronCount);
    List<PruningSelection.Neuron> neurons = new ArrayList<>();
    for (int i : flat) neurons.add(new PruningSelection.Neuron(i / neuronsPerLayer, i % neuronsPerLayer));
    return new PruningSelection(neurons, withoutReplacement(residualRng, residuals, residualCount), totalNeurons,
        residuals);
  }

  /** {@code count} distinct indices of [0, n), in drawing order. */
  static List<Integer> withoutReplacement(SplittableRandom rng, int n, int count) {
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) perm[i] = i;
    List<Integer> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int j = i + rng.nextInt(n - i);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
      out.add(perm[i]);
    }
    return out;
  }

  /** The distinct values among {@code count} draws with replacement, ascending. */
  static List<Integer> distinctDraws(SplittableRandom rng, int n, int count) {
    TreeSet<Integer> drawn = new TreeSet<>();
    for (int i = 0; i < count && n > 0; i++) drawn.add(rng.nextInt(n));
    return List.copyOf(drawn);
  }
}
