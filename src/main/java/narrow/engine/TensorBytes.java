package narrow.engine;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Tensor bytes to and from files: the raw little-endian element bytes that safetensors and
 * PyTorch's zip format store, moved between a {@link FileChannel} and libtorch's memory a bounded
 * chunk at a time (no Java array, no 2 GB limit). Type conversions (bf16 ↔ float32) are
 * libtorch's own casts, bit for bit what {@code tensor.to(dtype)} gives in PyTorch.
 */
public final class TensorBytes {
  static {
    Torch.load();
  }

  /** Bytes moved per read or write call. */
  public static final int CHUNK_BYTES = 1 << 26;

  private TensorBytes() {}

  /** A CPU tensor of {@code type} and {@code shape} read from {@code ch} at {@code offset}. */
  public static Tensor read(FileChannel ch, long offset, DType type, long[] shape, String what)
      throws IOException {
    Tensor t = torch.empty(shape, new org.bytedeco.pytorch.TensorOptions(type.scalarType),
        new MemoryFormatOptional());
    long bytes = t.nbytes();
    if (bytes == 0) return t;
    try (BytePointer base = new BytePointer(t.data_ptr())) {
      for (long done = 0; done < bytes; ) {
        long n = Math.min(CHUNK_BYTES, bytes - done);
        ByteBuffer buf = chunk(base, done, n);
        while (buf.hasRemaining()) {
          int r = ch.read(buf, offset + done + buf.position());
          if (r < 0) throw new EOFException(what + ": file ends inside the tensor's data");
        }
        done += n;
      }
    }
    return t;
  }

  /** Writes the elements of {@code t} converted to {@code type}, row-major, at the channel's position. */
  public static void write(Tensor t, DType type, FileChannel ch) throws IOException {
    try (TensorScope scope = new TensorScope()) {
      Tensor c = t.detach().to(Tensors.cpu(), type.scalarType).contiguous();
      long bytes = c.nbytes();
      if (bytes == 0) return;
      try (BytePointer base = new BytePointer(c.data_ptr())) {
        for (long done = 0; done < bytes; ) {
          long n = Math.min(CHUNK_BYTES, bytes - done);
          ByteBuffer buf = chunk(base, done, n);
          while (buf.hasRemaining()) ch.write(buf);
          done += n;
        }
      }
    }
  }

  /**
   * A direct buffer over bytes [from, from + n) of native memory at {@code base}: a pointer moved
   * to the chunk, so no buffer index ever passes 2 GB whatever the tensor's size.
   */
  private static ByteBuffer chunk(BytePointer base, long from, long n) {
    BytePointer at = base.getPointer(from);
    return at.limit(n).asByteBuffer();
  }

  /** The elements of {@code t} converted to {@code type} as bytes (for small tensors: under 2 GB). */
  public static byte[] toBytes(Tensor t, DType type) {
    try (TensorScope scope = new TensorScope()) {
      Tensor c = t.detach().to(Tensors.cpu(), type.scalarType).contiguous();
      byte[] out = new byte[Math.toIntExact(c.nbytes())];
      if (out.length > 0) {
        try (BytePointer p = new BytePointer(c.data_ptr())) {
          p.get(out);
        }
      }
      return out;
    }
  }
}
