package narrow.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.io.Serializable;

/**
 * The {@code model.device} setting, parsed once: {@code auto}, {@code cpu}, {@code gpu},
 * {@code cuda} or {@code cuda:N}. {@link ComputeDevice#fromSetting(DeviceSetting)} turns it into
 * the device, where libtorch is.
 *
 * @param index the N of {@code cuda:N}; null for every other kind and for plain {@code cuda}
 */
public record DeviceSetting(Kind kind, Integer index) implements Serializable {
  public enum Kind {
    /** A GPU when libtorch sees one, else the CPU. */
    AUTO,
    CPU,
    /** A GPU, and an error when there is none. */
    GPU,
    /** {@code cuda:N}, or plain {@code cuda}: the same as {@code gpu}. */
    CUDA
  }

  public static final DeviceSetting AUTO = new DeviceSetting(Kind.AUTO, null);

  public DeviceSetting {
    if (kind == null) throw new IllegalArgumentException("a device setting needs its kind");
    if (index != null && kind != Kind.CUDA) throw new IllegalArgumentException("only cuda:N has an index");
    if (index != null && index < 0) throw new IllegalArgumentException("cuda:N needs N >= 0, got " + index);
  }

  public static DeviceSetting cuda(int index) {
    return new DeviceSetting(Kind.CUDA, index);
  }

  /**
   * A setting as a config spells it (lower case, no spaces).
   *
   * @throws IllegalArgumentException naming the allowed forms and the value given
   */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static DeviceSetting parse(String text) {
    switch (text) {
      case "auto": return AUTO;
      case "cpu": return new DeviceSetting(Kind.CPU, null);
      case "gpu": return new DeviceSetting(Kind.GPU, null);
      case "cuda": return new DeviceSetting(Kind.CUDA, null);
      default:
        if (text.matches("cuda:\\d{1,9}")) return cuda(Integer.parseInt(text.substring(5)));
        throw new IllegalArgumentException(
            "must be auto (a GPU when libtorch sees one), cpu, gpu or cuda:N, got '" + text + "'");
    }
  }

  @JsonValue
  @Override
  public String toString() {
    return kind == Kind.CUDA ? (index == null ? "cuda" : "cuda:" + index) : kind.name().toLowerCase(java.util.Locale.ROOT);
  }
}
