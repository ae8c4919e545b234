package narrow.model;

import ai.djl.Device;
import ai.djl.engine.Engine;

/**
 * Where a model computes. A GPU needs a CUDA build of libtorch 2.7.1 that DJL is pointed at
 * ({@code PYTORCH_LIBRARY_PATH}, {@code PYTORCH_FLAVOR=cu128}: see the README) and a visible
 * GPU; otherwise the CPU.
 * Create the model's manager on the chosen device:
 * {@code NDManager.newBaseManager(ComputeDevice.choose(true))}.
 */
public final class ComputeDevice {
  private ComputeDevice() {}

  /** GPU 0 when {@code preferGpu} and the engine sees a GPU, else the CPU. */
  public static Device choose(boolean preferGpu) {
    return preferGpu && Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
  }

  /**
   * Parses a config value: "cpu"; "auto" (a GPU if the engine sees one, else the CPU); "gpu"
   * (a GPU, and an error when there is none: asking for a GPU and silently training on the CPU
   * would cost a researcher days).
   */
  public static Device fromSetting(String setting) {
    return switch (setting == null ? "auto" : setting.trim().toLowerCase()) {
      case "cpu" -> Device.cpu();
      case "auto" -> choose(true);
      case "gpu", "cuda" -> {
        if (Engine.getInstance().getGpuCount() == 0) {
          throw new IllegalArgumentException("device gpu: DJL's PyTorch engine sees no GPU (CPU "
              + "libtorch, or no CUDA device visible); see the README's CPU or GPU section");
        }
        yield Device.gpu();
      }
      default -> throw new IllegalArgumentException(
          "device '" + setting + "' is not one of cpu, gpu, auto");
    };
  }
}
