package narrow.train;

import java.io.Serializable;

/**
 * Where a session's optimizer steps spent their time, in seconds summed over the steps after its
 * first (which also pays for allocating gradients and optimizer state, and for the first
 * collective's connections: its whole time is {@code firstStep}). With
 * data-parallel replicas, the all-reduce either runs inside {@code lastBackward} (overlapped:
 * only its exposed part lengthens it) or is all of {@code gradientSync} (after backward).
 *
 * @param forward forward passes and losses
 * @param backward backward passes of the micro-batches before each step's last (local only)
 * @param lastBackward backward passes of each step's last micro-batch (the one that reduces)
 * @param gradientSync waiting for the replicas' mean gradients after the last backward
 * @param optimizer summing the step's losses over the replicas, clipping, the AdamW update,
 *     dropping gradients, re-masking
 */
public record StepTimings(long steps, double forward, double backward, double lastBackward, double gradientSync,
    double optimizer, double firstStep) implements Serializable {
  public static final StepTimings NONE = new StepTimings(0, 0, 0, 0, 0, 0, 0);

  /** Seconds per step (after the first), all phases. */
  public double perStep() {
    return (forward + backward + lastBackward + gradientSync + optimizer) / Math.max(1, steps);
  }

  /** As plain numbers, for serializers that cannot take records (Kryo). */
  public double[] toArray() {
    return new double[] {steps, forward, backward, lastBackward, gradientSync, optimizer, firstStep};
  }

  public static StepTimings fromArray(double[] a) {
    return new StepTimings((long) a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
  }

  /** A mutable sum of nanoseconds, one per phase; the first step's go to {@code firstStep}. */
  static final class Clock {
    private long steps;
    private long firstStep = -1;
    private long forward;
    private long backward;
    private long lastBackward;
    private long gradientSync;
    private long optimizer;

    void forward(long nanos) {
      forward += nanos;
    }

    void backward(long nanos, boolean last) {
      if (last) {
        lastBackward += nanos;
      } else {
        backward += nanos;
      }
    }

    void gradientSync(long nanos) {
      gradientSync += nanos;
    }

    void optimizer(long nanos) {
      optimizer += nanos;
      if (firstStep < 0) {
        firstStep = forward + backward + lastBackward + gradientSync + optimizer;
        forward = backward = lastBackward = gradientSync = optimizer = 0;
      } else {
        steps++;
      }
    }

    StepTimings total() {
      return new StepTimings(steps, forward / 1e9, backward / 1e9, lastBackward / 1e9, gradientSync / 1e9,
          optimizer / 1e9, Math.max(0, firstStep) / 1e9);
    }
  }
}
