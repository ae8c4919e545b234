package narrow.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.*;

/**
 * Reads and writes safetensors files and Hugging Face checkpoints (one {@code model.safetensors}
 * or shards listed in {@code model.safetensors.index.json}). Everything read becomes float32.
 * Files are read through a {@link FileChannel} at long offsets, a bounded chunk at a time, so
 * files (and tensors) over 2 GB work without any Java array over 2 GB.
 */
public final class Safetensors {
  public static final String SINGLE_FILE = "model.safetensors";
  public static final String INDEX_FILE = "model.safetensors.index.json";
  /** Hugging Face's default shard size. */
  public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

  /** Bytes moved per read or write call; also the largest direct buffer DJL gets at once. */
  static final int CHUNK_BYTES = 1 << 26;

  private static final ObjectMapper JSON = new ObjectMapper();

  private Safetensors() {}

  public static SafetensorsHeader readHeader(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return SafetensorsHeader.read(file, ch);
    }
  }

  /** Every tensor of one file as float32, in file order. */
  public static Map<String, NDArray> read(Path file, NDManager manager) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      SafetensorsHeader header = SafetensorsHeader.read(file, ch);
      Map<String, NDArray> out = new LinkedHashMap<>();
      try {
        for (SafetensorsHeader.TensorInfo t : header.tensors().values()) {
          out.put(t.name(), readTensor(ch, header, t, manager));
        }
      } catch (IOException | RuntimeException e) {
        out.values().forEach(NDArray::close);
        throw e;
      }
      return out;
    }
  }

  /** One named tensor of a file as float32, without reading the others. */
  public static NDArray readTensor(Path file, String name, NDManager manager) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      SafetensorsHeader header = SafetensorsHeader.read(file, ch);
      SafetensorsHeader.TensorInfo t = header.tensors().get(name);
      if (t == null) throw new IOException(file + ": no tensor '" + name + "'");
      return readTensor(ch, header, t, manager);
    }
  }

  /** The weights of a checkpoint folder: {@code model.safetensors}, or the shards of its index. */
  public static Map<String, NDArray> readCheckpoint(Path dir, NDManager manager) throws IOException {
    Path single = dir.resolve(SINGLE_FILE);
    if (Files.exists(single)) return read(single, manager);
    Path index = dir.resolve(INDEX_FILE);
    if (!Files.exists(index)) {
      throw new IOException(dir + ": neither " + SINGLE_FILE + " nor " + INDEX_FILE);
    }
    Map<String, String> weightMap = readIndex(index);
    Map<String, NDArray> out = new LinkedHashMap<>();
    try {
      for (String shard : new LinkedHashSet<>(weightMap.values())) {
        Map<String, NDArray> tensors = read(dir.resolve(shard), manager);
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
          if (!shard.equals(weightMap.get(e.getKey()))) {
            tensors.values().forEach(NDArray::close);
            throw new IOException(dir.resolve(shard) + ": tensor '" + e.getKey()
                + "' is not listed for this shard in " + INDEX_FILE);
          }
        }
        out.putAll(tensors);
      }
      for (String name : weightMap.keySet()) {
        if (!out.containsKey(name)) {
          throw new IOException(index + ": tensor '" + name + "' is missing from shard "
              + weightMap.get(name));
        }
      }
    } catch (IOException | RuntimeException e) {
      out.values().forEach(NDArray::close);
      throw e;
    }
    return out;
  }

  /** The index's weight map (tensor name → shard file name), checked to stay inside the folder. */
  static Map<String, String> readIndex(Path index) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(index.toFile());
    } catch (IOException e) {
      throw new IOException(index + ": not valid JSON: " + e.getMessage(), e);
    }
    JsonNode map = root == null ? null : root.get("weight_map");
    if (map == null || !map.isObject()) throw new IOException(index + ": no weight_map object");
    Map<String, String> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String shard = e.getValue().asText("");
      if (!e.getValue().isTextual() || shard.isEmpty() || shard.contains("/")
          || shard.contains("\\") || shard.startsWith(".")) {
        throw new IOException(index + ": tensor '" + e.getKey() + "' maps to a bad shard name '"
            + e.getValue() + "'");
      }
      out.put(e.getKey(), shard);
    }
    return out;
  }

  private static NDArray readTensor(FileChannel ch, SafetensorsHeader header,
      SafetensorsHeader.TensorInfo t, NDManager manager) throws IOException {
    if (t.dtype() != DType.F32 && t.dtype() != DType.BF16 && t.dtype() != DType.F16) {
      throw SafetensorsHeader.bad(header.file(), "tensor '" + t.name() + "': dtype " + t.dtype()
          + " is not a float type this reader converts (F32, BF16, F16)");
    }
    Shape shape = new Shape(t.shape());
    long numel = t.numel();
    long rowElems = t.shape().length == 0 ? 1 : numel / Math.max(1, t.shape()[0]);
    // Rows per piece: whole rows, at most CHUNK_BYTES of float32 each, so that no Java buffer
    // and no single DJL direct buffer exceeds 2 GB; the pieces are concatenated natively.
    long rowsPerPiece = Math.max(1, (CHUNK_BYTES / 4) / Math.max(1, rowElems));
    if (t.shape().length == 0 || numel == 0 || rowElems * 4L > Integer.MAX_VALUE - 8) {
      if (numel * 4L > Integer.MAX_VALUE - 8) {
        throw SafetensorsHeader.bad(header.file(), "tensor '" + t.name()
            + "': a single row over 2 GB is not supported");
      }
      return manager.create(readFloats(ch, header, t, 0, numel), shape);
    }
    long rows = t.shape()[0];
    if (rows <= rowsPerPiece) {
      return manager.create(readFloats(ch, header, t, 0, numel), shape);
    }
    NDList pieces = new NDList();
    try {
      for (long r = 0; r < rows; r += rowsPerPiece) {
        long n = Math.min(rowsPerPiece, rows - r);
        long[] pieceShape = t.shape().clone();
        pieceShape[0] = n;
        pieces.add(manager.create(readFloats(ch, header, t, r * rowElems, n * rowElems),
            new Shape(pieceShape)));
      }
      return NDArrays.concat(pieces, 0);
    } finally {
      pieces.close();
    }
  }

  /** Elements [first, first+count) of a tensor, converted to float32. */
  static java.nio.FloatBuffer readFloats(FileChannel ch, SafetensorsHeader header,
      SafetensorsHeader.TensorInfo t, long first, long count) throws IOException {
    int width = t.dtype().bytes();
    ByteBuffer raw = ByteBuffer.allocate(Math.toIntExact(count * width)).order(ByteOrder.LITTLE_ENDIAN);
    SafetensorsHeader.readFully(ch, raw, header.dataStart() + t.begin() + first * width,
        header.file());
    raw.flip();
    if (t.dtype() == DType.F32) return raw.asFloatBuffer();
    float[] out = new float[(int) count];
    for (int i = 0; i < out.length; i++) {
      short bits = raw.getShort();
      out[i] = t.dtype() == DType.BF16 ? Floats.bf16ToFloat(bits) : Floats.f16ToFloat(bits);
    }
    return java.nio.FloatBuffer.wrap(out);
  }

  // ---------------------------------------------------------------- writing

  /** Writes tensors (any float dtype in memory) as one file in {@code dtype} (F32 or BF16). */
  public static void write(Path file, Map<String, NDArray> tensors, DType dtype,
      Map<String, String> metadata) throws IOException {
    if (dtype != DType.F32 && dtype != DType.BF16) {
      throw new IllegalArgumentException("safetensors are written as F32 or BF16, not " + dtype);
    }
    ObjectNode header = JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
      long[] shape = e.getValue().getShape().getShape();
      long bytes = e.getValue().getShape().size() * dtype.bytes();
      ObjectNode entry = header.putObject(e.getKey());
      entry.put("dtype", dtype.name());
      var shapeNode = entry.putArray("shape");
      for (long d : shape) shapeNode.add(d);
      entry.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = JSON.writeValueAsBytes(header);
    // Pad with spaces to 8 bytes so the data section is aligned, as the reference writer does.
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) head.put((byte) ' ');
    head.flip();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      writeFully(ch, head);
      for (NDArray tensor : tensors.values()) writeTensor(ch, tensor, dtype);
    }
  }

  private static void writeTensor(FileChannel ch, NDArray tensor, DType dtype) throws IOException {
    long[] shape = tensor.getShape().getShape();
    long numel = tensor.getShape().size();
    if (numel == 0) return;
    long rows = shape.length == 0 ? 1 : shape[0];
    long rowElems = numel / rows;
    long rowsPerPiece = Math.max(1, (CHUNK_BYTES / 4) / rowElems);
    for (long r = 0; r < rows; r += rowsPerPiece) {
      long n = Math.min(rowsPerPiece, rows - r);
      float[] values;
      if (shape.length == 0 || n == rows) {
        values = asFloats(tensor);
      } else {
        try (NDArray piece = tensor.get(new NDIndex("{}:{}", r, r + n))) {
          values = asFloats(piece);
        }
      }
      ByteBuffer buf = ByteBuffer.allocate(values.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
      if (dtype == DType.F32) {
        buf.asFloatBuffer().put(values);
      } else {
        for (float v : values) buf.putShort(Floats.floatToBf16(v));
        buf.flip();
      }
      buf.rewind();
      writeFully(ch, buf);
    }
  }

  private static float[] asFloats(NDArray a) {
    if (a.getDataType() == DataType.FLOAT32) return a.toFloatArray();
    try (NDArray f = a.toType(DataType.FLOAT32, true)) {
      return f.toFloatArray();
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) ch.write(buf);
  }

  /**
   * Writes a checkpoint's weights into {@code dir}: one {@code model.safetensors} when they fit in
   * {@code maxShardBytes}, else {@code model-0000i-of-0000n.safetensors} shards and the index,
   * the way transformers' {@code save_pretrained} names them.
   */
  public static void writeCheckpoint(Path dir, Map<String, NDArray> tensors, DType dtype,
      long maxShardBytes) throws IOException {
    Map<String, String> metadata = Map.of("format", "pt");
    List<Map<String, NDArray>> shards = new ArrayList<>();
    Map<String, NDArray> current = new LinkedHashMap<>();
    long currentBytes = 0;
    long total = 0;
    for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
      long bytes = e.getValue().getShape().size() * dtype.bytes();
      if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
        shards.add(current);
        current = new LinkedHashMap<>();
        currentBytes = 0;
      }
      current.put(e.getKey(), e.getValue());
      currentBytes += bytes;
      total += bytes;
    }
    shards.add(current);
    if (shards.size() == 1) {
      write(dir.resolve(SINGLE_FILE), current, dtype, metadata);
      return;
    }
    ObjectNode index = JSON.createObjectNode();
    index.putObject("metadata").put("total_size", total);
    TreeMap<String, String> weightMap = new TreeMap<>();
    for (int i = 0; i < shards.size(); i++) {
      String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
      write(dir.resolve(name), shards.get(i), dtype, metadata);
      for (String tensor : shards.get(i).keySet()) weightMap.put(tensor, name);
    }
    ObjectNode map = index.putObject("weight_map");
    weightMap.forEach(map::put);
    Files.write(dir.resolve(INDEX_FILE),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index).getBytes(StandardCharsets.UTF_8));
  }
}
