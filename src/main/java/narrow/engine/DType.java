package narrow.engine;

import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The element types of tensors in files, one enum for every format: named as safetensors names
 * them, with their width in bytes, libtorch's scalar type (inside this package only), the class
 * of PyTorch's zip format that stores them, and HF config.json's {@code torch_dtype} spelling.
 */
public enum DType {
  BOOL(1, ScalarType.Bool, "BoolStorage"),
  U8(1, ScalarType.Byte, "ByteStorage"),
  I8(1, ScalarType.Char, "CharStorage"),
  F8_E4M3(1, ScalarType.Float8_e4m3fn, null),
  F8_E5M2(1, ScalarType.Float8_e5m2, null),
  I16(2, ScalarType.Short, "ShortStorage"),
  U16(2, ScalarType.UInt16, null),
  F16(2, ScalarType.Half, "HalfStorage"),
  BF16(2, ScalarType.BFloat16, "BFloat16Storage"),
  I32(4, ScalarType.Int, "IntStorage"),
  U32(4, ScalarType.UInt32, null),
  F32(4, ScalarType.Float, "FloatStorage"),
  I64(8, ScalarType.Long, "LongStorage"),
  U64(8, ScalarType.UInt64, null),
  F64(8, ScalarType.Double, "DoubleStorage");

  private final int bytes;
  final ScalarType scalarType;
  private final String torchStorage;

  DType(int bytes, ScalarType scalarType, String torchStorage) {
    this.bytes = bytes;
    this.scalarType = scalarType;
    this.torchStorage = torchStorage;
  }

  public int bytes() {
    return bytes;
  }

  /** The type a safetensors header names, or null when the name is not one safetensors defines. */
  public static DType ofSafetensorsName(String name) {
    for (DType d : values()) {
      if (d.name().equals(name)) return d;
    }
    return null;
  }

  /** The storage class PyTorch's zip format ({@code torch.save}) records for this type. */
  public String torchStorageClass() {
    if (torchStorage == null) throw new IllegalArgumentException("torch.save has no storage class for " + this);
    return torchStorage;
  }

  /** HF config.json's {@code torch_dtype} string for this element type. */
  public String torchName() {
    return switch (this) {
      case F32 -> "float32";
      case BF16 -> "bfloat16";
      case F16 -> "float16";
      case F64 -> "float64";
      default -> name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
