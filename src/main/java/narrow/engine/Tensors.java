package narrow.engine;

import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Tensors to and from Java data. Everything made here lives in memory libtorch allocated (Java data
 * is copied in, never borrowed), so no tensor an autograd graph keeps can be freed under it by the
 * garbage collector.
 */
public final class Tensors {
  static {
    Torch.load();
  }

  private Tensors() {}

  /** A float32 tensor of {@code shape} holding a copy of {@code data}, on {@code device}. */
  public static Tensor floats(float[] data, Device device, long... shape) {
    return copyIn(data.length, shape, ScalarType.Float, device, t -> {
      try (FloatPointer p = t.data_ptr_float()) {
        p.put(data);
      }
    });
  }

  public static Tensor floats(float[] data, long... shape) {
    return floats(data, Device.CPU, shape);
  }

  /** An int64 tensor (token ids, labels) of {@code shape} holding a copy of {@code data}. */
  public static Tensor longs(long[] data, Device device, long... shape) {
    return copyIn(data.length, shape, ScalarType.Long, device, t -> {
      try (LongPointer p = t.data_ptr_long()) {
        p.put(data);
      }
    });
  }

  /** A CPU tensor of {@code type} filled by {@code fill}, then moved to {@code device}. */
  private static Tensor copyIn(int length, long[] shape, ScalarType type, Device device,
      java.util.function.Consumer<Tensor> fill) {
    checkSize(length, shape);
    Tensor t = torch.empty(shape, options(type, Device.CPU), new MemoryFormatOptional());
    if (length > 0) fill.accept(t);
    return device.isCuda() ? t.to(device.toTorch(), type) : t;
  }

  public static Tensor longs(long[] data, long... shape) {
    return longs(data, Device.CPU, shape);
  }

  public static Tensor zeros(Device device, long... shape) {
    return torch.zeros(shape, options(ScalarType.Float, device));
  }

  public static Tensor ones(Device device, long... shape) {
    return torch.ones(shape, options(ScalarType.Float, device));
  }

  /** The elements of a tensor of any float type and device, as float32, row-major. */
  public static float[] toFloats(Tensor t) {
    Tensor f = t.to(cpu(), ScalarType.Float).contiguous();
    long n = f.numel();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("tensor of " + n + " elements does not fit a Java array");
    }
    float[] out = new float[(int) n];
    if (n > 0) {
      try (FloatPointer p = f.data_ptr_float()) {
        p.get(out);
      }
    }
    return out;
  }

  /** The elements of an integer tensor as int64. */
  public static long[] toLongs(Tensor t) {
    Tensor l = t.to(cpu(), ScalarType.Long).contiguous();
    long[] out = new long[Math.toIntExact(l.numel())];
    if (out.length > 0) {
      try (LongPointer p = l.data_ptr_long()) {
        p.get(out);
      }
    }
    return out;
  }

  /** The value of a one-element tensor. */
  public static double value(Tensor t) {
    return t.item_double();
  }

  public static long[] shape(Tensor t) {
    long[] s = new long[(int) t.dim()];
    for (int i = 0; i < s.length; i++) s[i] = t.size(i);
    return s;
  }

  public static long numel(Tensor t) {
    return t.numel();
  }

  public static boolean isFloat32(Tensor t) {
    return t.scalar_type().intern() == ScalarType.Float;
  }

  public static boolean isBf16(Tensor t) {
    return t.scalar_type().intern() == ScalarType.BFloat16;
  }

  /**
   * Takes {@code t} out of scope-managed lifetime: it survives every enclosing {@link TensorScope}
   * and is freed by {@link #free} (parameters, optimizer moments, anything a long-lived object owns).
   */
  public static Tensor own(Tensor t) {
    t.retainReference();
    return t;
  }

  /**
   * A float32 [rows, cols] matrix of normal(0, std) draws from {@code random}, row-major, with row
   * {@code zeroRow} zero (or none: -1). Filled a bounded block at a time straight into libtorch's
   * memory, so no Java array nears 2 GB whatever the size.
   */
  public static Tensor normalMatrix(long rows, long cols, double std, long zeroRow,
      java.util.SplittableRandom random, Device device) {
    Tensor t = torch.empty(new long[] {rows, cols}, options(ScalarType.Float, Device.CPU),
        new MemoryFormatOptional());
    long rowsPerBlock = Math.max(1, (1 << 22) / Math.max(1, cols));
    try (FloatPointer p = t.data_ptr_float()) {
      for (long first = 0; first < rows; first += rowsPerBlock) {
        long n = Math.min(rowsPerBlock, rows - first);
        float[] values = new float[Math.toIntExact(n * cols)];
        for (int i = 0; i < values.length; i++) values[i] = (float) (random.nextGaussian() * std);
        if (zeroRow >= first && zeroRow < first + n) {
          int from = Math.toIntExact((zeroRow - first) * cols);
          Arrays.fill(values, from, from + (int) cols, 0f);
        }
        p.position(first * cols).put(values);
      }
      p.position(0);
    }
    return device.isCuda() ? t.to(device.toTorch(), ScalarType.Float) : t;
  }

  /**
   * Frees the memory of {@code t}'s storage now, for every tensor that shares it, keeping its
   * shape, type, device and place in the graph (PyTorch's {@code untyped_storage().resize_(0)}): for
   * a tensor whose values are read no more but that a backward still starts from, which needs only
   * its graph and shape. Reading its values afterwards is an error.
   */
  public static void releaseStorage(Tensor t) {
    try (org.bytedeco.pytorch.Storage storage = t.storage();
        org.bytedeco.pytorch.DataPtr empty = new org.bytedeco.pytorch.DataPtr(null, t.device());
        org.bytedeco.pytorch.DataPtr old = storage.set_data_ptr(empty)) {
      storage.set_nbytes(0);
    }
  }

  /** Frees a tensor handle now (a parameter, an optimizer moment) instead of waiting for the GC. */
  public static void free(Tensor t) {
    if (t != null && !t.isNull()) t.deallocate();
  }

  static Scalar scalar(double v) {
    return new Scalar(v);
  }

  static org.bytedeco.pytorch.Device cpu() {
    return Device.CPU.toTorch();
  }

  static TensorOptions options(ScalarType type, Device device) {
    return new TensorOptions(type).device(new org.bytedeco.pytorch.DeviceOptional(device.toTorch()));
  }

  private static void checkSize(int length, long[] shape) {
    long n = 1;
    for (long d : shape) n *= d;
    if (n != length) {
      throw new IllegalArgumentException(length + " values do not fill shape " + Arrays.toString(shape));
    }
  }
}
