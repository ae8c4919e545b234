package narrow.model.io;

/**
 * The element types a safetensors header may name, with their width in bytes. The reader
 * converts the floating ones (F32, BF16, F16) to float32; the writer emits F32 or BF16.
 */
public enum DType {
  BOOL(1), U8(1), I8(1), F8_E4M3(1), F8_E5M2(1),
  I16(2), U16(2), F16(2), BF16(2),
  I32(4), U32(4), F32(4),
  I64(8), U64(8), F64(8);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  public int bytes() {
    return bytes;
  }

  /** The dtype named in a header, or null when the name is not one safetensors defines. */
  static DType parse(String name) {
    for (DType d : values()) {
      if (d.name().equals(name)) return d;
    }
    return null;
  }

  /** HF config.json's {@code torch_dtype} string for this element type. */
  public String torchName() {
    return switch (this) {
      case F32 -> "float32";
      case BF16 -> "bfloat16";
      case F16 -> "float16";
      case F64 -> "float64";
      default -> name().toLowerCase();
    };
  }
}
