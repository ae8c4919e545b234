package narrow.model.io;

import narrow.engine.DType;

/**
 * A tensor whose bytes ({@code dtype}, row-major, little-endian) are generated while a file is
 * written, so that a file far larger than the heap (a pruning mask) needs only what the source
 * holds; safetensors and PyTorch's zip format both take it. {@code bytes} must write exactly
 * {@link #byteSize()} bytes, the same each time it is called (the zip writer calls it twice: once
 * for the entry's CRC-32, once to write).
 */
public record StreamedTensor(DType dtype, long[] shape, ByteSource bytes) {
  public long numel() {
    long n = 1;
    for (long d : shape) n *= d;
    return n;
  }

  public long byteSize() {
    return numel() * dtype.bytes();
  }
}
