package narrow.sparsity;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import narrow.engine.Ops;
import narrow.model.LlamaWeights;
import org.bytedeco.pytorch.Tensor;

/**
 * The study's regularizers, by the names its launch scripts use ({@link #studyName}). The group
 * forms are functions of the {@link GroupNorms}: their gradient with respect to a parameter of
 * group g is (dP/dn_g / n_g) · θ, computed in closed form (Σn: 1/n_g; (Σ√n)²: (Σ√n)/n_g^1.5;
 * Hoyer's L1/L2: 1/(L2·n_g) − L1/L2³), which costs two passes over the penalised weights and no
 * autograd graph. A group whose norm is exactly zero gets no gradient (the subgradient 0; torch's
 * autograd would give NaN there).
 */
public enum Penalty {
  /** Σ|θ| over every parameter. */
  L1_SPARSITY_LOSS(Groups.ALL_ELEMENTS, null),
  /** Σ|θ| over the MLP weights. */
  L1_SPARSITY_LOSS_MLPS(Groups.MLP_ELEMENTS, null),
  /** Σ over layers and neurons of the neuron's L2 norm: the study's group lasso (its default). */
  L1_OF_L2_OF_MLPS(Groups.NEURONS, Shape.SUM),
  /** (Σ √‖neuron‖₂)². */
  LHALF_OF_L2_OF_MLPS(Groups.NEURONS, Shape.LHALF),
  /** L1 / L2 of all neuron norms together. */
  GROUP_HOYER_NEURONS(Groups.NEURONS, Shape.HOYER),
  /** Σ over residual-stream dimensions of the dimension's L2 norm. */
  GROUP_LASSO_RESIDUAL_STREAM(Groups.RESIDUALS, Shape.SUM),
  /** L1 / L2 of the residual-stream dimension norms. */
  GROUP_HOYER_RESIDUAL_STREAM(Groups.RESIDUALS, Shape.HOYER);

  private enum Groups { ALL_ELEMENTS, MLP_ELEMENTS, NEURONS, RESIDUALS }

  private final Groups groups;
  private final Shape shape;

  Penalty(Groups groups, Shape shape) {
    this.groups = groups;
    this.shape = shape;
  }

  /** The name in the study's scripts and in configs: {@code l1_of_l2_of_mlps}, … */
  public String studyName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Penalty named(String name) {
    for (Penalty p : values()) {
      if (p.studyName().equals(name)) return p;
    }
    throw new IllegalArgumentException("unknown penalty '" + name + "'; one of " + names());
  }

  public static List<String> names() {
    return Arrays.stream(values()).map(Penalty::studyName).toList();
  }

  /** The penalty's value on {@code w}. */
  public double value(LlamaWeights<Tensor> w) {
    return apply(w, null, 0);
  }

  /**
   * The penalty's value on {@code w}; adds {@code weight · dP/dθ} into {@code gradients} (in
   * place) unless they are null or the weight is 0.
   */
  public double apply(LlamaWeights<Tensor> w, LlamaWeights<Tensor> gradients, double weight) {
    boolean gradient = gradients != null && weight != 0;
    switch (groups) {
      case ALL_ELEMENTS, MLP_ELEMENTS -> {
        List<Tensor> params = groups == Groups.ALL_ELEMENTS ? w.all() : mlpWeights(w);
        List<Tensor> grads = gradient ? (groups == Groups.ALL_ELEMENTS ? gradients.all() : mlpWeights(gradients))
            : null;
        double sum = 0;
        for (int i = 0; i < params.size(); i++) {
          sum += Ops.absSum(params.get(i));
          if (gradient) Ops.addSign(grads.get(i), params.get(i), weight);
        }
        return sum;
      }
      case NEURONS -> {
        double[][] norms = GroupNorms.neurons(w);
        double[] flat = Arrays.stream(norms).flatMapToDouble(Arrays::stream).toArray();
        if (gradient) {
          double[] c = shape.coefficients(flat);
          double[][] perLayer = new double[norms.length][];
          int at = 0;
          for (int l = 0; l < norms.length; l++) {
            perLayer[l] = Arrays.copyOfRange(c, at, at + norms[l].length);
            at += norms[l].length;
          }
          GroupNorms.addNeuronGradient(w, gradients, perLayer, weight);
        }
        return shape.value(flat);
      }
      case RESIDUALS -> {
        double[] norms = GroupNorms.residuals(w);
        if (gradient) GroupNorms.addResidualGradient(w, gradients, shape.coefficients(norms), weight);
        return shape.value(norms);
      }
      default -> throw new AssertionError(groups);
    }
  }

  private static List<Tensor> mlpWeights(LlamaWeights<Tensor> w) {
    return w.layers().stream().flatMap(l -> l.mlp().stream()).toList();
  }

  /** A penalty as a function of group norms: its value and (dP/dn_i) / n_i. */
  enum Shape {
    SUM, LHALF, HOYER;

    double value(double[] n) {
      return switch (this) {
        case SUM -> sum(n);
        case LHALF -> sumOfRoots(n) * sumOfRoots(n);
        case HOYER -> sum(n) / Math.sqrt(sumOfSquares(n));
      };
    }

    double[] coefficients(double[] n) {
      // the sums the derivatives need, once: each derivative recomputing them would be quadratic
      double[] out = new double[n.length];
      double l1 = sum(n);
      double roots = sumOfRoots(n);
      double l2 = Math.sqrt(sumOfSquares(n));
      for (int i = 0; i < n.length; i++) {
        if (n[i] == 0) continue;
        double d = switch (this) {
          case SUM -> 1;
          case LHALF -> roots / Math.sqrt(n[i]);
          case HOYER -> 1 / l2 - l1 * n[i] / (l2 * l2 * l2);
        };
        out[i] = d / n[i];
      }
      return out;
    }

    static double sum(double[] n) {
      double s = 0;
      for (double v : n) s += v;
      return s;
    }

    static double sumOfRoots(double[] n) {
      double s = 0;
      for (double v : n) s += Math.sqrt(v);
      return s;
    }

    static double sumOfSquares(double[] n) {
      double s = 0;
      for (double v : n) s += v * v;
      return s;
    }
  }
}
