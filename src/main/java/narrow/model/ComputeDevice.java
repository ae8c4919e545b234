package narrow.model;

import narrow.engine.Device;
import narrow.engine.Torch;
import narrow.util.UserError;

/**
 * Where a model computes, from the {@code model.device} setting. A GPU needs the CUDA build of the
 * libtorch bindings on the classpath (the {@code gpu} Maven profile, see the README) and a visible
 * CUDA device; otherwise the CPU.
 */
public final class ComputeDevice {
  private ComputeDevice() {}

  /** CUDA device 0 when {@code preferGpu} and libtorch sees one, else the CPU. */
  public static Device choose(boolean preferGpu) {
    return preferGpu && Torch.cudaAvailable() ? Device.cuda(0) : Device.CPU;
  }

  /**
   * Parses a config value: "cpu"; "auto" (a GPU if libtorch sees one, else the CPU); "gpu" or
   * "cuda" (a GPU, and an error when there is none: asking for a GPU and silently training on the
   * CPU would cost a researcher days); "cuda:N" for a given device.
   */
  public static Device fromSetting(String setting) {
    String s = setting == null ? "auto" : setting.trim().toLowerCase(java.util.Locale.ROOT);
    try {
      return fromSetting(DeviceSetting.parse(s));
    } catch (IllegalArgumentException e) {
      throw new UserError("device '" + setting + "': " + e.getMessage());
    }
  }

  /** The device a parsed setting names; asking for a GPU where there is none is an error. */
  public static Device fromSetting(DeviceSetting setting) {
    return switch (setting.kind()) {
      case CPU -> Device.CPU;
      case AUTO -> choose(true);
      case GPU, CUDA -> {
        int index = setting.index() == null ? 0 : setting.index();
        requireGpu(setting.toString(), index + 1);
        yield Device.cuda(index);
      }
    };
  }

  private static void requireGpu(String setting, int needed) {
    int seen = Torch.cudaDeviceCount();
    if (seen < needed) {
      throw new UserError("device " + setting + ": libtorch sees " + seen + " CUDA device(s) (the "
          + "CPU build of the bindings, or no GPU visible); see the README's CPU or GPU section");
    }
  }
}
