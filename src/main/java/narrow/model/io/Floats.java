package narrow.model.io;

/** Bit-level conversions between float32 and the 16-bit float formats, as PyTorch does them. */
public final class Floats {
  private Floats() {}

  /** bfloat16 bits to float32: the upper half of the float's bits. Exact. */
  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /**
   * float32 to bfloat16 bits with round-to-nearest-even, NaN kept a quiet NaN: the rule of
   * c10::BFloat16's round_to_nearest_even, so a checkpoint written here equals torch's
   * {@code tensor.to(torch.bfloat16)}.
   */
  public static short floatToBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) return (short) 0x7FC0;
    int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + roundingBias) >>> 16);
  }

  /** IEEE half-precision bits to float32. Exact (every half is a float). */
  public static float f16ToFloat(short half) {
    int h = half & 0xFFFF;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1F;
    int mantissa = h & 0x3FF;
    if (exponent == 0x1F) { // inf or NaN
      return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      // zero or subnormal: mantissa * 2^-24, exact in float
      float magnitude = mantissa * 0x1p-24f;
      return sign == 0 ? magnitude : -magnitude;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }
}
