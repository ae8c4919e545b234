package narrow.distributed;

import java.io.Serializable;
import narrow.train.TrainingHooks;

/**
 * Builds each replica's training hooks on its executor (hooks hold tensors and code, which do not
 * travel): the pruning mask, extra loss terms. {@code rank} and {@code attempt} (the barrier
 * stage's attempt, 0 first) let a hook behave per replica.
 */
@FunctionalInterface
public interface ReplicaHooks extends Serializable {
  TrainingHooks create(int rank, int attempt);

  static ReplicaHooks none() {
    return (rank, attempt) -> TrainingHooks.none();
  }
}
