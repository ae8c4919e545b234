package narrow.distributed;

import java.io.Serializable;

/**
 * What replica 0 reports back to the driver when training ends (its tokens and lines travel in
 * {@link ReplicaReport}, which also counts attempts that did not end). A plain class, not a record:
 * it crosses a shuffle, serialized with {@code spark.serializer}, which is Kryo in narrow's Spark
 * settings ({@code conf/spark/local.conf}), and the Kryo Spark ships cannot take records ("can't
 * get field offset on a record class").
 */
final class ReplicaOutcome implements Serializable {
  private final long globalStep;
  private final double trainLoss;
  private final String finalModel;
  private final int attempt;
  private final double[] timings;

  ReplicaOutcome(long globalStep, double trainLoss, String finalModel, int attempt, double[] timings) {
    this.timings = timings;
    this.globalStep = globalStep;
    this.trainLoss = trainLoss;
    this.finalModel = finalModel;
    this.attempt = attempt;
  }

  long globalStep() {
    return globalStep;
  }

  double trainLoss() {
    return trainLoss;
  }

  String finalModel() {
    return finalModel;
  }

  int attempt() {
    return attempt;
  }

  /** {@link narrow.train.StepTimings#toArray()} of replica 0's last attempt. */
  double[] timings() {
    return timings;
  }
}
