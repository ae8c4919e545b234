package narrow.engine;

import org.bytedeco.pytorch.global.torch;

/** Where tensors live: the CPU or one CUDA device. */
public record Device(Kind kind, int index) {
  public enum Kind { CPU, CUDA }

  public static final Device CPU = new Device(Kind.CPU, -1);

  public static Device cuda(int index) {
    return new Device(Kind.CUDA, index);
  }

  public boolean isCuda() {
    return kind == Kind.CUDA;
  }

  org.bytedeco.pytorch.Device toTorch() {
    Torch.load();
    return isCuda() ? new org.bytedeco.pytorch.Device(torch.DeviceType.CUDA, (byte) index)
        : new org.bytedeco.pytorch.Device(torch.DeviceType.CPU);
  }

  torch.DeviceType type() {
    return isCuda() ? torch.DeviceType.CUDA : torch.DeviceType.CPU;
  }

  @Override
  public String toString() {
    return isCuda() ? "cuda:" + index : "cpu";
  }
}
