package narrow.model.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.*;
import narrow.engine.DType;

/**
 * The validated header of one safetensors file: where each tensor's bytes lie. Validation is
 * strict so that a hostile or damaged file fails here with a message naming the file and the
 * tensor, before anything is allocated from its numbers.
 */
public record SafetensorsHeader(Path file, long headerLength, Map<String, TensorInfo> tensors,
    Map<String, String> metadata) {

  /** safetensors' own limit on the header size (100 MB). */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** One tensor's entry; {@code begin}/{@code end} are relative to the data section. */
  public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
    public long numel() {
      long n = 1;
      for (long d : shape) n *= d;
      return n;
    }
  }

  /** Absolute file position of the first data byte. */
  public long dataStart() {
    return 8 + headerLength;
  }

  public static SafetensorsHeader read(Path file, FileChannel channel) throws IOException {
    long fileSize = channel.size();
    if (fileSize < 8) {
      throw bad(file, "truncated: " + fileSize + " bytes, shorter than the 8-byte header length");
    }
    ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(channel, lengthBytes, 0, file);
    long headerLength = lengthBytes.flip().getLong();
    if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES) {
      throw bad(file, "header length " + headerLength + " is outside 1.." + MAX_HEADER_BYTES);
    }
    if (headerLength > fileSize - 8) {
      throw bad(file, "header length " + headerLength + " runs past the end of the file ("
          + fileSize + " bytes): truncated or not a safetensors file");
    }
    ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
    readFully(channel, headerBytes, 8, file);
    String text = new String(headerBytes.array(), StandardCharsets.UTF_8);
    return parse(file, text, headerLength, fileSize - 8 - headerLength);
  }

  /** Parses and validates header JSON for a data section of {@code dataLength} bytes. */
  static SafetensorsHeader parse(Path file, String text, long headerLength, long dataLength)
      throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw bad(file, "header is not valid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw bad(file, "header is not a JSON object");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    List<TensorInfo> entries = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (field.getKey().equals("__metadata__")) {
        metadata = metadata(file, field.getValue());
      } else {
        entries.add(tensor(file, field.getKey(), field.getValue(), dataLength));
      }
    }
    checkLayout(file, entries, dataLength);
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    for (TensorInfo t : entries) tensors.put(t.name(), t);
    return new SafetensorsHeader(file, headerLength, Collections.unmodifiableMap(tensors),
        Collections.unmodifiableMap(metadata));
  }

  private static Map<String, String> metadata(Path file, JsonNode node) throws IOException {
    if (!node.isObject()) throw bad(file, "__metadata__ is not an object");
    Map<String, String> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw bad(file, "__metadata__ value for '" + e.getKey() + "' is not a string");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  private static TensorInfo tensor(Path file, String name, JsonNode node, long dataLength)
      throws IOException {
    String where = "tensor '" + name + "': ";
    if (!node.isObject()) throw bad(file, where + "entry is not an object");
    JsonNode dtypeNode = node.get("dtype");
    if (dtypeNode == null || !dtypeNode.isTextual()) throw bad(file, where + "no dtype string");
    DType dtype = DType.ofSafetensorsName(dtypeNode.asText());
    if (dtype == null) throw bad(file, where + "unknown dtype '" + dtypeNode.asText() + "'");

    JsonNode shapeNode = node.get("shape");
    if (shapeNode == null || !shapeNode.isArray()) throw bad(file, where + "no shape array");
    long[] shape = new long[shapeNode.size()];
    long numel = 1;
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
        throw bad(file, where + "shape " + shapeNode + " has a dimension that is not a non-negative integer");
      }
      shape[i] = d.asLong();
      try {
        numel = Math.multiplyExact(numel, shape[i]);
      } catch (ArithmeticException e) {
        throw bad(file, where + "shape " + shapeNode + " overflows");
      }
    }
    long bytes;
    try {
      bytes = Math.multiplyExact(numel, dtype.bytes());
    } catch (ArithmeticException e) {
      throw bad(file, where + "shape " + shapeNode + " overflows");
    }

    JsonNode offsets = node.get("data_offsets");
    if (offsets == null || !offsets.isArray() || offsets.size() != 2
        || !isLong(offsets.get(0)) || !isLong(offsets.get(1))) {
      throw bad(file, where + "data_offsets is not a pair of integers");
    }
    long begin = offsets.get(0).asLong();
    long end = offsets.get(1).asLong();
    if (begin < 0 || end < begin) {
      throw bad(file, where + "data_offsets [" + begin + ", " + end + "] are negative or reversed");
    }
    if (end > dataLength) {
      throw bad(file, where + "data_offsets [" + begin + ", " + end + "] run past the data section ("
          + dataLength + " bytes): truncated file?");
    }
    if (end - begin != bytes) {
      throw bad(file, where + "shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes
          + " bytes but data_offsets span " + (end - begin));
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  private static boolean isLong(JsonNode n) {
    return n != null && n.isIntegralNumber() && n.canConvertToLong();
  }

  /** The tensors must tile the data section exactly: sorted, no overlap, no gap, no tail. */
  private static void checkLayout(Path file, List<TensorInfo> entries, long dataLength)
      throws IOException {
    List<TensorInfo> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    long expected = 0;
    for (TensorInfo t : sorted) {
      if (t.begin() < expected) {
        throw bad(file, "tensor '" + t.name() + "': data_offsets [" + t.begin() + ", " + t.end()
            + "] overlap the previous tensor, which ends at " + expected);
      }
      if (t.begin() > expected) {
        throw bad(file, "tensor '" + t.name() + "': gap of " + (t.begin() - expected)
            + " bytes before its data at " + t.begin());
      }
      expected = t.end();
    }
    if (expected != dataLength) {
      throw bad(file, "data section is " + dataLength + " bytes but the tensors cover " + expected);
    }
  }

  static void readFully(FileChannel channel, ByteBuffer into, long position, Path file)
      throws IOException {
    while (into.hasRemaining()) {
      int n = channel.read(into, position);
      if (n < 0) throw bad(file, "unexpected end of file at byte " + position);
      position += n;
    }
  }

  static IOException bad(Path file, String why) {
    return new SafetensorsFormatException(file + ": " + why);
  }

  /** A file that is not a valid safetensors file. */
  public static final class SafetensorsFormatException extends IOException {
    SafetensorsFormatException(String message) {
      super(message);
    }
  }
}
