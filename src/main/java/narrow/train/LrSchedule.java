package narrow.train;

/**
 * Learning rate as a function of the optimizer step, with Hugging Face's schedules
 * ({@code transformers.get_scheduler}). Step {@code s} is the number of optimizer steps already
 * taken: the update that makes step {@code s + 1} uses {@code lr(s)}.
 */
@FunctionalInterface
public interface LrSchedule {

  double lr(long step);

  /** {@code get_cosine_schedule_with_warmup} (half a cosine): linear from 0 to peak, then down to 0. */
  static LrSchedule cosineWithWarmup(double peak, long warmupSteps, long totalSteps) {
    return step -> peak * cosineWithWarmupFactor(step, warmupSteps, totalSteps);
  }

  /** {@code get_linear_schedule_with_warmup}. */
  static LrSchedule linearWithWarmup(double peak, long warmupSteps, long totalSteps) {
    return step -> {
      if (step < warmupSteps) return peak * step / (double) Math.max(1, warmupSteps);
      return peak * Math.max(0.0,
          (totalSteps - step) / (double) Math.max(1, totalSteps - warmupSteps));
    };
  }

  /** {@code get_constant_schedule_with_warmup}. */
  static LrSchedule constantWithWarmup(double peak, long warmupSteps) {
    return step -> step < warmupSteps ? peak * step / (double) Math.max(1, warmupSteps) : peak;
  }

  /** The lr_scheduler_type names implemented, as HF spells them. */
  java.util.List<String> TYPES = java.util.List.of("cosine", "linear", "constant_with_warmup", "constant");

  /** The schedule HF names {@code type} (one of {@link #TYPES}). */
  static LrSchedule named(String type, double peak, long warmupSteps, long totalSteps) {
    return switch (type) {
      case "cosine" -> cosineWithWarmup(peak, warmupSteps, totalSteps);
      case "linear" -> linearWithWarmup(peak, warmupSteps, totalSteps);
      case "constant_with_warmup" -> constantWithWarmup(peak, warmupSteps);
      case "constant" -> step -> peak;
      default -> throw new IllegalArgumentException("unknown lr_scheduler_type '" + type + "' " + TYPES);
    };
  }

  static double cosineWithWarmupFactor(long step, long warmupSteps, long totalSteps) {
    if (step < warmupSteps) return step / (double) Math.max(1, warmupSteps);
    double progress = (step - warmupSteps) / (double) Math.max(1, totalSteps - warmupSteps);
    // num_cycles = 0.5: cos(pi * 2 * 0.5 * progress)
    return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 2.0 * 0.5 * progress)));
  }
}
