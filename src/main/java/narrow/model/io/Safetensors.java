package narrow.model.io;

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
import narrow.engine.DType;
import narrow.engine.Device;
import narrow.engine.TensorBytes;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * Reads and writes safetensors files and Hugging Face checkpoints (one {@code model.safetensors}
 * or shards listed in {@code model.safetensors.index.json}). Everything read becomes float32
 * (owned by the caller: free with {@link Tensors#free}). Bytes move between the file and libtorch's
 * memory directly ({@link TensorBytes}), so files and tensors over 2 GB need no Java array.
 */
public final class Safetensors {
  public static final String SINGLE_FILE = "model.safetensors";
  public static final String INDEX_FILE = "model.safetensors.index.json";
  /** Hugging Face's default shard size. */
  public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

  private static final ObjectMapper JSON = new ObjectMapper();

  private Safetensors() {}

  public static SafetensorsHeader readHeader(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return SafetensorsHeader.read(file, ch);
    }
  }

  /** Every tensor of one file as float32, in file order. */
  public static Map<String, Tensor> read(Path file, Device device) throws IOException {
    return read(file, device, DType.F32);
  }

  /** Every tensor of one file as {@code type} (a float type), in file order. */
  public static Map<String, Tensor> read(Path file, Device device, DType type) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      SafetensorsHeader header = SafetensorsHeader.read(file, ch);
      Map<String, Tensor> out = new LinkedHashMap<>();
      try {
        for (SafetensorsHeader.TensorInfo t : header.tensors().values()) {
          out.put(t.name(), readTensor(ch, header, t, device, type));
        }
      } catch (IOException | RuntimeException e) {
        out.values().forEach(Tensors::free);
        throw e;
      }
      return out;
    }
  }

  /** One named tensor of a file as float32, without reading the others. */
  public static Tensor readTensor(Path file, String name, Device device) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      SafetensorsHeader header = SafetensorsHeader.read(file, ch);
      SafetensorsHeader.TensorInfo t = header.tensors().get(name);
      if (t == null) throw new IOException(file + ": no tensor '" + name + "'");
      return readTensor(ch, header, t, device, DType.F32);
    }
  }

  /** The weights of a checkpoint folder: {@code model.safetensors}, or the shards of its index. */
  public static Map<String, Tensor> readCheckpoint(Path dir, Device device) throws IOException {
    return readCheckpoint(dir, device, DType.F32);
  }

  /**
   * The weights of a checkpoint folder as {@code type}, each converted as it is read: a bf16
   * model never has a float32 copy of all its weights at once.
   */
  public static Map<String, Tensor> readCheckpoint(Path dir, Device device, DType type) throws IOException {
    Map<String, Tensor> out = new LinkedHashMap<>();
    try {
      // the headers first: a shard that does not match the index fails before any weight is read
      for (Path file : checkpointHeaders(dir).keySet()) out.putAll(read(file, device, type));
    } catch (IOException | RuntimeException e) {
      out.values().forEach(Tensors::free);
      throw e;
    }
    return out;
  }

  /**
   * Every tensor of a checkpoint folder as its file's header describes it (names, dtypes, shapes,
   * byte ranges checked against the file's size), without reading any weight: a truncated or
   * mismatched shard is found before a job commits to the model.
   */
  public static Map<String, SafetensorsHeader.TensorInfo> readCheckpointTensors(Path dir) throws IOException {
    Map<String, SafetensorsHeader.TensorInfo> out = new LinkedHashMap<>();
    for (SafetensorsHeader h : checkpointHeaders(dir).values()) out.putAll(h.tensors());
    return out;
  }

  /** The header of each weight file of a folder, by file; a sharded folder's checked against its index. */
  private static Map<Path, SafetensorsHeader> checkpointHeaders(Path dir) throws IOException {
    Map<Path, SafetensorsHeader> out = new LinkedHashMap<>();
    Path single = dir.resolve(SINGLE_FILE);
    if (Files.exists(single)) {
      out.put(single, readHeader(single));
      return out;
    }
    Path index = dir.resolve(INDEX_FILE);
    if (!Files.exists(index)) {
      throw new IOException(dir + ": neither " + SINGLE_FILE + " nor " + INDEX_FILE);
    }
    Map<String, String> weightMap = readIndex(index);
    Set<String> found = new java.util.HashSet<>();
    for (String shard : new LinkedHashSet<>(weightMap.values())) {
      SafetensorsHeader h = readHeader(dir.resolve(shard));
      for (String name : h.tensors().keySet()) {
        if (!shard.equals(weightMap.get(name))) {
          throw new IOException(dir.resolve(shard) + ": tensor '" + name + "' is not listed for this shard in "
              + INDEX_FILE);
        }
        found.add(name);
      }
      out.put(dir.resolve(shard), h);
    }
    for (String name : weightMap.keySet()) {
      if (!found.contains(name)) {
        throw new IOException(index + ": tensor '" + name + "' is missing from shard " + weightMap.get(name));
      }
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

  private static Tensor readTensor(FileChannel ch, SafetensorsHeader header,
      SafetensorsHeader.TensorInfo t, Device device, DType type) throws IOException {
    if (t.dtype() != DType.F32 && t.dtype() != DType.BF16 && t.dtype() != DType.F16) {
      throw SafetensorsHeader.bad(header.file(), "tensor '" + t.name() + "': dtype " + t.dtype()
          + " is not a float type this reader converts (F32, BF16, F16)");
    }
    try (TensorScope scope = new TensorScope()) {
      Tensor raw = TensorBytes.read(ch, header.dataStart() + t.begin(), t.dtype(),
          t.shape(), header.file() + ": tensor '" + t.name() + "'");
      // both conversions return the tensor itself when there is nothing to do
      return Tensors.own(narrow.engine.Ops.to(narrow.engine.Ops.as(raw, type), device));
    }
  }

  // ---------------------------------------------------------------- writing

  /** Writes tensors (any float dtype in memory) as one file in {@code dtype} (F32 or BF16). */
  public static void write(Path file, Map<String, Tensor> tensors, DType dtype,
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
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      long[] shape = Tensors.shape(e.getValue());
      long bytes = Tensors.numel(e.getValue()) * dtype.bytes();
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
      for (Tensor tensor : tensors.values()) writeTensor(ch, tensor, dtype);
    }
  }

  /**
   * Writes generated tensors as one file, one after the other through a buffer, so that a file
   * far larger than the heap (a pruning mask) needs only what each source holds. A source that
   * writes a different number of bytes than its shape needs is an error (the file is then corrupt
   * and must be discarded). The file holds the tensors in the map's order.
   */
  public static void writeStreamed(Path file, Map<String, StreamedTensor> tensors, Map<String, String> metadata)
      throws IOException {
    ObjectNode header = JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, StreamedTensor> e : tensors.entrySet()) {
      StreamedTensor t = e.getValue();
      ObjectNode entry = header.putObject(e.getKey());
      entry.put("dtype", t.dtype().name());
      var shapeNode = entry.putArray("shape");
      for (long d : t.shape()) shapeNode.add(d);
      entry.putArray("data_offsets").add(offset).add(offset + t.byteSize());
      offset += t.byteSize();
    }
    byte[] json = JSON.writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) head.put((byte) ' ');
    try (java.io.OutputStream out = new java.io.BufferedOutputStream(java.nio.file.Files.newOutputStream(file),
        1 << 16)) {
      out.write(head.array());
      for (Map.Entry<String, StreamedTensor> e : tensors.entrySet()) {
        StreamedTensor t = e.getValue();
        long[] written = {0};
        t.bytes().writeTo(new java.io.FilterOutputStream(out) {
          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            written[0] += len;
          }

          @Override
          public void write(int b) throws IOException {
            out.write(b);
            written[0]++;
          }
        });
        if (written[0] != t.byteSize()) {
          throw new IOException(file + ": tensor '" + e.getKey() + "' generated " + written[0] + " bytes, its shape needs "
              + t.byteSize());
        }
      }
    }
  }

  private static void writeTensor(FileChannel ch, Tensor tensor, DType dtype) throws IOException {
    TensorBytes.write(tensor, dtype, ch);
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) ch.write(buf);
  }

  /**
   * Writes a checkpoint's weights into {@code dir}: one {@code model.safetensors} when they fit in
   * {@code maxShardBytes}, else {@code model-0000i-of-0000n.safetensors} shards and the index,
   * the way transformers' {@code save_pretrained} names them.
   */
  public static void writeCheckpoint(Path dir, Map<String, Tensor> tensors, DType dtype,
      long maxShardBytes) throws IOException {
    Map<String, String> metadata = Map.of("format", "pt");
    List<Map<String, Tensor>> shards = new ArrayList<>();
    Map<String, Tensor> current = new LinkedHashMap<>();
    long currentBytes = 0;
    long total = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      long bytes = Tensors.numel(e.getValue()) * dtype.bytes();
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
