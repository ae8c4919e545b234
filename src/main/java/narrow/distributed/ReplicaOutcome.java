package narrow.distributed;

import java.io.Serializable;

/** What replica 0 reports back to the driver when training ends. */
record ReplicaOutcome(long globalStep, double trainLoss, String finalModel, double runtimeSeconds,
    double tokensPerSecond, int attempt) implements Serializable {}
