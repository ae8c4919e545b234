package narrow.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import narrow.engine.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * The golden numbers: tiny LLaMA models and PyTorch's answers for them, made by
 * {@code src/test/python/make_goldens.py} and committed under {@code src/test/resources/goldens}.
 * {@code -Dnarrow.fixtures=DIR} points every test at another set in the same layout
 * ({@code DIR/llama-tiny/...}) instead; public for later stages' tests.
 */
public final class Fixtures {
  public static final String UNTIED = "untied-mha";
  public static final String TIED = "tied-gqa-bf16";

  private Fixtures() {}

  /** Where the project's own goldens are, relative to the project root (the tests' working folder). */
  public static final String OWN = "src/test/resources/goldens";

  public static Path root() {
    String dir = System.getProperty("narrow.fixtures");
    Path root = Path.of(dir == null || dir.isBlank() ? OWN : dir, "llama-tiny");
    if (!java.nio.file.Files.isRegularFile(root.resolve("golden.json"))) {
      throw new IllegalStateException("no golden.json in " + root.toAbsolutePath()
          + (dir == null ? "" : " (from -Dnarrow.fixtures=" + dir + ")"));
    }
    return root;
  }

  public static Path model(String name) {
    return root().resolve(name);
  }

  public static JsonNode golden() throws IOException {
    return new ObjectMapper().readTree(root().resolve("golden.json").toFile());
  }

  /** batches[i].{input_ids|labels} as an int64 [B, T] array. */
  public static Tensor batch(int index, String field) throws IOException {
    JsonNode rows = golden().get("batches").get(index).get(field);
    int b = rows.size();
    int t = rows.get(0).size();
    long[] values = new long[b * t];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t; j++) values[i * t + j] = rows.get(i).get(j).asLong();
    }
    return Tensors.longs(values, b, t);
  }

  /** max|actual − expected| / max|expected|: the error measure of every exactness check. */
  public static double relativeError(float[] actual, float[] expected) {
    if (actual.length != expected.length) {
      throw new AssertionError("length " + actual.length + " != " + expected.length);
    }
    double maxDiff = 0;
    double maxRef = 0;
    for (int i = 0; i < actual.length; i++) {
      if (!Float.isFinite(actual[i])) return Double.POSITIVE_INFINITY;
      maxDiff = Math.max(maxDiff, Math.abs((double) actual[i] - expected[i]));
      maxRef = Math.max(maxRef, Math.abs((double) expected[i]));
    }
    return maxRef == 0 ? maxDiff : maxDiff / maxRef;
  }
}
