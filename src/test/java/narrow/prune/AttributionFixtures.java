package narrow.prune;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.Fixtures;
import narrow.model.io.Safetensors;
import org.bytedeco.pytorch.Tensor;

/** The attribution answers of the golden fixtures, and the batches they were computed on. */
final class AttributionFixtures {
  private AttributionFixtures() {}

  /** golden.json's batches[i] with its labels (the last 5 of row 0 are -100). */
  static AttributionBatch goldenBatch(int index) throws IOException {
    JsonNode b = Fixtures.golden().get("batches").get(index);
    return new AttributionBatch(b.get("input_ids").size(), b.get("input_ids").get(0).size(),
        flat(b.get("input_ids")), flat(b.get("labels")));
  }

  /** The same ids with labels = ids, as a dataset row would give them. */
  static AttributionBatch idsOnly(AttributionBatch b) {
    return new AttributionBatch(b.rows(), b.cols(), b.inputIds(), b.inputIds().clone());
  }

  /** golden.json's batches[i] ids as dataset rows. */
  static List<int[]> goldenRows(int index) throws IOException {
    List<int[]> rows = new ArrayList<>();
    for (JsonNode r : Fixtures.golden().get("batches").get(index).get("input_ids")) {
      int[] ids = new int[r.size()];
      for (int j = 0; j < ids.length; j++) ids[j] = r.get(j).asInt();
      rows.add(ids);
    }
    return rows;
  }

  static JsonNode attribution(String model) throws IOException {
    return Fixtures.golden().get("models").get(model).get("attribution");
  }

  /** neuron_scores [layers, intermediate] flattened layer after layer, then residual_scores. */
  static double[][] expectedScores(String model) throws IOException {
    try (TensorScope scope = new TensorScope()) {
      Map<String, Tensor> golden = Safetensors.read(Fixtures.model(model).resolve("golden.safetensors"), Device.CPU);
      return new double[][] {doubles(Tensors.toFloats(golden.get("neuron_scores"))),
          doubles(Tensors.toFloats(golden.get("residual_scores")))};
    }
  }

  static List<PruningSelection.Neuron> expectedNeurons(String model) throws IOException {
    List<PruningSelection.Neuron> out = new ArrayList<>();
    for (JsonNode p : attribution(model).get("pruned_neurons")) {
      out.add(new PruningSelection.Neuron(p.get(0).asInt(), p.get(1).asInt()));
    }
    return out;
  }

  static List<Integer> expectedResiduals(String model) throws IOException {
    List<Integer> out = new ArrayList<>();
    for (JsonNode d : attribution(model).get("pruned_residuals")) out.add(d.asInt());
    return out;
  }

  /** max|actual − expected| / max|expected|, the project's error measure. */
  static double relativeError(double[] actual, double[] expected) {
    if (actual.length != expected.length) throw new AssertionError(actual.length + " != " + expected.length);
    double diff = 0;
    double ref = 0;
    for (int i = 0; i < actual.length; i++) {
      if (!Double.isFinite(actual[i])) return Double.POSITIVE_INFINITY;
      diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
      ref = Math.max(ref, Math.abs(expected[i]));
    }
    return ref == 0 ? diff : diff / ref;
  }

  /** The worst |actual − expected| / |expected| over single entries (for the report only). */
  static double worstEntryError(double[] actual, double[] expected) {
    double worst = 0;
    for (int i = 0; i < actual.length; i++) {
      worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.abs(expected[i]));
    }
    return worst;
  }

  private static long[] flat(JsonNode rows) {
    int t = rows.get(0).size();
    long[] out = new long[rows.size() * t];
    for (int i = 0; i < rows.size(); i++) {
      for (int j = 0; j < t; j++) out[i * t + j] = rows.get(i).get(j).asLong();
    }
    return out;
  }

  private static double[] doubles(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) d[i] = f[i];
    return d;
  }
}
