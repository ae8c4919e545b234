package narrow.model.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import narrow.engine.DType;

/**
 * Writes what {@code torch.save(obj, path)} writes, for plain data: PyTorch's zip format
 * ({@code archive/data.pkl}, {@code archive/byteorder}, {@code archive/data/<key>},
 * {@code archive/version}) with a protocol-2 pickle that uses only opcodes and globals
 * {@code torch.load(path, weights_only=True)} accepts.
 *
 * <p>Values: {@code null}, {@link Boolean}, {@link Integer}/{@link Long}, {@link Float}/{@link
 * Double} (pickled as a Python float, i.e. double), {@link String}, {@link List} (a Python list),
 * {@link Map} with String keys (a dict, insertion order kept), and {@link Tensor} (a CPU tensor
 * rebuilt with {@code torch._utils._rebuild_tensor_v2}, its bytes in {@code data/<n>}), and {@link
 * StreamedTensor} (the same, its bytes generated while written).
 */
public final class TorchSave {
  private TorchSave() {}

  /** Element types with their torch legacy storage class (what the pickle names). */
  /** A contiguous CPU tensor: {@code data} holds the elements little-endian, row-major. */
  public record Tensor(DType dtype, long[] shape, byte[] data) {
    public Tensor {
      long numel = numel(shape);
      if (numel * dtype.bytes() != data.length) {
        throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " and "
            + dtype + " needs " + numel * dtype.bytes() + " bytes, got " + data.length);
      }
    }

    public static Tensor ofBooleans(boolean[] values, long... shape) {
      byte[] data = new byte[values.length];
      for (int i = 0; i < values.length; i++) data[i] = (byte) (values[i] ? 1 : 0);
      return new Tensor(DType.BOOL, shape, data);
    }

    public static Tensor ofFloats(float[] values, long... shape) {
      ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(values);
      return new Tensor(DType.F32, shape, b.array());
    }

    public static Tensor ofLongs(long[] values, long... shape) {
      ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
      b.asLongBuffer().put(values);
      return new Tensor(DType.I64, shape, b.array());
    }

    /** A libtorch tensor's elements (any device), as float32: e.g. a pruning mask. */
    public static Tensor ofTensor(org.bytedeco.pytorch.Tensor t) {
      return new Tensor(DType.F32, narrow.engine.Tensors.shape(t),
          narrow.engine.TensorBytes.toBytes(t, DType.F32));
    }

    public long numel() {
      return numel(shape);
    }

    static long numel(long[] shape) {
      long n = 1;
      for (long d : shape) n *= d;
      return n;
    }
  }

  /** {@code torch.save(value, file)}; the archive folder is named {@code archive} as torch does for unnamed streams. */
  public static void save(Object value, Path file) throws IOException {
    save(value, file, Long.MAX_VALUE);
  }

  /** As {@link #save(Object, Path)}, zip64 fields from {@code zip64From} on (tests force them low). */
  static void save(Object value, Path file, long zip64From) throws IOException {
    Pickler p = new Pickler();
    p.bytes.write(0x80); // PROTO 2
    p.bytes.write(2);
    p.value(value);
    p.bytes.write('.'); // STOP
    try (TorchZipWriter zip = new TorchZipWriter(file, zip64From)) {
      zip.add("archive/data.pkl", p.bytes.toByteArray());
      zip.add("archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
      for (int i = 0; i < p.storages.size(); i++) {
        Object storage = p.storages.get(i);
        if (storage instanceof Tensor t) {
          zip.add("archive/data/" + i, t.data());
        } else {
          StreamedTensor t = (StreamedTensor) storage;
          zip.add("archive/data/" + i, t.byteSize(), t.bytes());
        }
      }
      zip.add("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
    }
  }

  /** The pickle opcodes of protocol 2 that the weights-only unpickler understands. */
  static final class Pickler {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final List<Object> storages = new ArrayList<>(); // Tensor or StreamedTensor

    void value(Object v) {
      if (v == null) {
        bytes.write('N');
      } else if (v instanceof Boolean b) {
        bytes.write(b ? 0x88 : 0x89);
      } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
        integer(((Number) v).longValue());
      } else if (v instanceof Float || v instanceof Double) {
        bytes.write('G'); // BINFLOAT: big-endian double
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN);
        b.putDouble(((Number) v).doubleValue());
        bytes.writeBytes(b.array());
      } else if (v instanceof String s) {
        string(s);
      } else if (v instanceof Tensor t) {
        storages.add(t);
        tensor(t.dtype(), t.shape(), t.numel());
      } else if (v instanceof StreamedTensor t) {
        storages.add(t);
        tensor(t.dtype(), t.shape(), t.numel());
      } else if (v instanceof Map<?, ?> m) {
        bytes.write('}'); // EMPTY_DICT
        if (!m.isEmpty()) {
          bytes.write('('); // MARK
          for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String)) {
              throw new IllegalArgumentException("dict keys must be strings: " + e.getKey());
            }
            value(e.getKey());
            value(e.getValue());
          }
          bytes.write('u'); // SETITEMS
        }
      } else if (v instanceof List<?> l) {
        bytes.write(']'); // EMPTY_LIST
        if (!l.isEmpty()) {
          bytes.write('(');
          for (Object o : l) value(o);
          bytes.write('e'); // APPENDS
        }
      } else {
        throw new IllegalArgumentException("cannot torch.save a " + v.getClass().getName());
      }
    }

    void integer(long x) {
      if (x >= 0 && x < 256) {
        bytes.write('K');
        bytes.write((int) x);
      } else if (x >= 0 && x < 65536) {
        bytes.write('M');
        bytes.write((int) (x & 0xff));
        bytes.write((int) (x >>> 8));
      } else if (x >= Integer.MIN_VALUE && x <= Integer.MAX_VALUE) {
        bytes.write('J');
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) x);
        bytes.writeBytes(b.array());
      } else {
        bytes.write(0x8a); // LONG1: 8 bytes two's complement, little-endian
        bytes.write(8);
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(x);
        bytes.writeBytes(b.array());
      }
    }

    void string(String s) {
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      bytes.write('X'); // BINUNICODE
      ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      b.putInt(utf8.length);
      bytes.writeBytes(b.array());
      bytes.writeBytes(utf8);
    }

    void global(String module, String name) {
      bytes.write('c');
      bytes.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    void tuple(long[] items) {
      if (items.length == 0) {
        bytes.write(')'); // EMPTY_TUPLE
        return;
      }
      bytes.write('(');
      for (long i : items) integer(i);
      bytes.write('t');
    }

    /** {@code _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks)}. */
    void tensor(DType dtype, long[] shape, long numel) {
      String key = Integer.toString(storages.size() - 1);
      global("torch._utils", "_rebuild_tensor_v2");
      bytes.write('(');
      // persistent id: ('storage', storage class, key, location, numel)
      bytes.write('(');
      string("storage");
      global("torch", dtype.torchStorageClass());
      string(key);
      string("cpu");
      integer(numel);
      bytes.write('t');
      bytes.write('Q'); // BINPERSID
      integer(0);
      tuple(shape);
      tuple(contiguousStrides(shape));
      bytes.write(0x89); // requires_grad False
      global("collections", "OrderedDict");
      bytes.write(')');
      bytes.write('R'); // OrderedDict()
      bytes.write('t');
      bytes.write('R');
    }

    static long[] contiguousStrides(long[] shape) {
      long[] strides = new long[shape.length];
      long s = 1;
      for (int i = shape.length - 1; i >= 0; i--) {
        strides[i] = s;
        s *= shape[i];
      }
      return strides;
    }
  }
}
