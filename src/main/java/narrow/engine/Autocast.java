package narrow.engine;

import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code torch.autocast(device, dtype=torch.bfloat16)} for the current thread: matmuls and linear
 * layers run in bfloat16 while parameters, gradients and the loss stay float32, HF Trainer's
 * {@code bf16=True}. Closing restores the thread's previous autocast state and, leaving the
 * outermost region, frees the cache of bf16 weight copies, as the Python context manager does.
 */
public final class Autocast implements AutoCloseable {
  static {
    Torch.load();
  }

  private final boolean enabled;
  private final torch.DeviceType type;
  private final boolean previousEnabled;
  private final ScalarType previousDtype;

  private Autocast(boolean enabled, Device device) {
    this.enabled = enabled;
    this.type = device.type();
    if (!enabled) {
      this.previousEnabled = false;
      this.previousDtype = null;
      return;
    }
    this.previousEnabled = torch.is_autocast_enabled(type);
    this.previousDtype = torch.get_autocast_dtype(type);
    torch.set_autocast_enabled(type, true);
    torch.set_autocast_dtype(type, ScalarType.BFloat16);
    torch.increment_nesting();
  }

  /** Whether this thread's passes on {@code device} run under bf16 autocast now. */
  public static boolean bf16Active(Device device) {
    var type = device.type();
    return torch.is_autocast_enabled(type) && torch.get_autocast_dtype(type).intern() == ScalarType.BFloat16;
  }

  public static Autocast bf16(Device device) {
    return new Autocast(true, device);
  }

  /** bfloat16 autocast when {@code on}, else a scope that changes nothing (float32). */
  public static Autocast bf16If(boolean on, Device device) {
    return new Autocast(on, device);
  }

  /**
   * Runs {@code op} with autocast off on {@code device} (its inputs' own dtypes decide), then
   * restores the thread's autocast state.
   */
  public static <T> T suspended(Device device, java.util.function.Supplier<T> op) {
    var type = device.type();
    boolean was = torch.is_autocast_enabled(type);
    if (!was) return op.get();
    torch.set_autocast_enabled(type, false);
    try {
      return op.get();
    } finally {
      torch.set_autocast_enabled(type, true);
    }
  }

  @Override
  public void close() {
    if (!enabled) return;
    if (torch.decrement_nesting() == 0) torch.clear_cache();
    torch.set_autocast_enabled(type, previousEnabled);
    torch.set_autocast_dtype(type, previousDtype);
  }
}
