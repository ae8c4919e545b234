package narrow.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Temporary: reads the fixture safetensors (F32 and BF16) until the model branch's reader is
 * merged. Test code only; trusts its input.
 */
final class GoldenTensors {
  private GoldenTensors() {}

  static Path fixtures() {
    return Path.of(System.getProperty("narrow.fixtures", "../shared/fixtures")).resolve("llama-tiny");
  }

  static JsonNode goldenJson() throws IOException {
    return new ObjectMapper().readTree(fixtures().resolve("golden.json").toFile());
  }

  static Map<String, NDArray> read(Path file, NDManager manager) throws IOException {
    byte[] all = Files.readAllBytes(file);
    ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    int headerLen = (int) buf.getLong(0);
    JsonNode header = new ObjectMapper().readTree(new String(all, 8, headerLen, StandardCharsets.UTF_8));
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("__metadata__")) continue;
      JsonNode t = e.getValue();
      long[] shape = new long[t.get("shape").size()];
      for (int i = 0; i < shape.length; i++) shape[i] = t.get("shape").get(i).asLong();
      int begin = 8 + headerLen + t.get("data_offsets").get(0).asInt();
      int end = 8 + headerLen + t.get("data_offsets").get(1).asInt();
      String dtype = t.get("dtype").asText();
      float[] values;
      if (dtype.equals("F32")) {
        values = new float[(end - begin) / 4];
        for (int i = 0; i < values.length; i++) values[i] = buf.getFloat(begin + 4 * i);
      } else if (dtype.equals("BF16")) {
        values = new float[(end - begin) / 2];
        for (int i = 0; i < values.length; i++) {
          values[i] = Float.intBitsToFloat((buf.getShort(begin + 2 * i) & 0xffff) << 16);
        }
      } else {
        throw new IOException("fixture dtype " + dtype);
      }
      out.put(e.getKey(), manager.create(values, new Shape(shape)));
    }
    return out;
  }
}
