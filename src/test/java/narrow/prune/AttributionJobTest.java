package narrow.prune;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import narrow.data.TestDatasets;
import narrow.data.TokenizedDataset;
import narrow.model.Fixtures;
import narrow.model.LlamaForCausalLM;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attribution on Spark (local[2]): partitions of whole batches, each loading the model, whose sums
 * Spark adds; the same scores whatever the partition count, and PyTorch's on the fixtures.
 */
@narrow.Slow
class AttributionJobTest {
  static SparkSession spark;
  static JavaSparkContext jsc;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("attribution-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        // narrow's own Spark settings (conf/spark/local.conf): Kryo, which cannot take records
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .getOrCreate();
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** golden batches 0 and 1 with their labels, on 1, 2 and 3 partitions (the third one empty). */
  @Test
  void theJobGivesPyTorchsScoresOnTheGoldenBatches() throws Exception {
    for (String name : List.of(Fixtures.UNTIED, Fixtures.TIED)) {
      List<AttributionBatch> batches = List.of(AttributionFixtures.goldenBatch(0), AttributionFixtures.goldenBatch(1));
      double[][] expected = AttributionFixtures.expectedScores(name);
      for (int partitions = 1; partitions <= 3; partitions++) {
        AttributionSums sums = AttributionJob.sums(jsc, Fixtures.model(name).toString(), batches, partitions);
        assertEquals(6, sums.rows());
        assertEquals(2, sums.batches());
        AttributionScores s = sums.scores();
        double neuron = AttributionFixtures.relativeError(s.neuronScoresFlat(), expected[0]);
        double residual = AttributionFixtures.relativeError(s.residualScores(), expected[1]);
        System.out.printf("%s job on %d partition(s): neuron scores relative error %.3g, residual %.3g%n", name,
            partitions, neuron, residual);
        assertTrue(neuron <= 1e-4 && residual <= 1e-4, "relative errors " + neuron + ", " + residual);
        PruningSelection p = PruningSelection.lowestScores(s, 0.5, 0.25);
        assertEquals(AttributionFixtures.expectedNeurons(name), p.neurons());
        assertEquals(AttributionFixtures.expectedResiduals(name), p.residuals());
      }
    }
  }

  /**
   * A dataset made of the golden batches' rows (labels = ids, as from any dataset), two shards and
   * one row past the samples: the job reads the first 6 rows in batches of 3, which are the golden
   * ids, and scores them as the scorer does in one process; batches of 1 row spread over 1, 2 and
   * 3 partitions give the same scores to float rounding.
   */
  @Test
  void fromADatasetTheScoresDoNotDependOnThePartitions() throws Exception {
    Path data = tmp.resolve("data");
    List<int[]> rows = new ArrayList<>(AttributionFixtures.goldenRows(0));
    rows.addAll(AttributionFixtures.goldenRows(1));
    TestDatasets.writeShard(data.resolve("train/part-00000.parquet"), rows.subList(0, 4));
    List<int[]> second = new ArrayList<>(rows.subList(4, 6));
    second.add(new int[] {1, 2, 3, 4, 5}); // the 7th row: not an attribution sample
    TestDatasets.writeShard(data.resolve("train/part-00001.parquet"), second);
    TestDatasets.commit(data, "train");
    String model = Fixtures.model(Fixtures.TIED).toString();

    List<AttributionBatch> read = AttributionRows.firstBatches(TokenizedDataset.open(data), "train", 6, 3, 24, 0);
    List<AttributionBatch> idsOnly = List.of(AttributionFixtures.idsOnly(AttributionFixtures.goldenBatch(0)),
        AttributionFixtures.idsOnly(AttributionFixtures.goldenBatch(1)));
    assertEquals(idsOnly, read);
    AttributionScores direct;
    try (LlamaForCausalLM m = LlamaForCausalLM.load(Path.of(model))) {
      direct = new GradientAttribution(m).all(idsOnly).scores();
    }

    AttributionResult result = AttributionJob.run(jsc,
        new AttributionJob.Settings(model, data.toString(), "train", 6, 3, 24, 2, 0.5, 0.25));
    assertEquals(2, result.batches());
    assertEquals(6, result.scores().samples());
    assertSameScores(direct, result.scores(), 1e-6, "job of 2 partitions against the scorer");
    assertEquals(PruningSelection.lowestScores(direct, 0.5, 0.25), result.pruned());
    assertEquals(96, result.pruned().neurons().size());
    assertEquals(16, result.pruned().residuals().size());

    List<AttributionBatch> single = AttributionRows.firstBatches(TokenizedDataset.open(data), "train", 6, 1, 24, 0);
    assertEquals(6, single.size());
    AttributionScores one = AttributionJob.sums(jsc, model, single, 1).scores();
    // three tasks of two whole batches each, each with its own model
    List<AttributionSums> partials =
        AttributionJob.partialSums(jsc, model, single, 3).collect().stream().map(Shipped::get).toList();
    assertEquals(List.of(2L, 2L, 2L), partials.stream().map(AttributionSums::batches).toList());
    assertEquals(List.of(2L, 2L, 2L), partials.stream().map(AttributionSums::rows).toList());
    for (int partitions = 2; partitions <= 3; partitions++) {
      assertSameScores(one, AttributionJob.sums(jsc, model, single, partitions).scores(), 1e-6,
          partitions + " partitions against 1");
    }
  }

  @Test
  void tooFewRowsIsAUserError() throws Exception {
    Path data = tmp.resolve("small");
    TestDatasets.writeShard(data.resolve("train/part-00000.parquet"), AttributionFixtures.goldenRows(0));
    TestDatasets.commit(data, "train");
    var e = assertThrows(narrow.util.UserError.class,
        () -> AttributionRows.firstBatches(TokenizedDataset.open(data), "train", 4, 2, 24, 0));
    assertTrue(e.getMessage().contains("has 3 rows, fewer than the 4"), e.getMessage());
  }

  static void assertSameScores(AttributionScores a, AttributionScores b, double tolerance, String what) {
    double neuron = AttributionFixtures.relativeError(b.neuronScoresFlat(), a.neuronScoresFlat());
    double residual = AttributionFixtures.relativeError(b.residualScores(), a.residualScores());
    System.out.printf("%s: neuron scores relative difference %.3g (worst entry %.3g), residual %.3g "
        + "(worst entry %.3g)%n", what, neuron,
        AttributionFixtures.worstEntryError(b.neuronScoresFlat(), a.neuronScoresFlat()), residual,
        AttributionFixtures.worstEntryError(b.residualScores(), a.residualScores()));
    assertTrue(neuron <= tolerance && residual <= tolerance, what + ": " + neuron + ", " + residual);
  }
}
