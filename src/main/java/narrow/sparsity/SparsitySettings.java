package narrow.sparsity;

import java.io.Serializable;

/**
 * A group-sparsity fine-tuning's penalty and its weight schedule: what the {@code sparsity:}
 * section of an experiment binds to, shipped to every replica as it is.
 *
 * @param statistics whether logging steps also log the {@link NormStatistics}
 */
public record SparsitySettings(Penalty penalty, AdaptiveLambda.Settings lambda, boolean statistics)
    implements Serializable {

  public SparsityObjective objective() {
    return new SparsityObjective(this);
  }
}
