package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import narrow.data.TestDatasets;
import narrow.model.Fixtures;
import narrow.model.io.Safetensors;
import narrow.model.io.SafetensorsHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** narrow prune end to end on the untied fixture model: random and attribution, mask files, stats, recovery. */
@narrow.Slow
class PruneCommandTest {
  @TempDir Path dir;

  Path conf() throws Exception {
    return conf(dir, Fixtures.model(Fixtures.UNTIED).toAbsolutePath().toString(), "");
  }

  /** Data, a Spark properties file ({@code extraSpark} appended) and the experiment, under {@code dir}. */
  static Path conf(Path dir, String model, String extraSpark) throws Exception {
    Files.createDirectories(dir);
    Path data = dir.resolve("data");
    SplittableRandom rng = new SplittableRandom(5);
    for (String split : List.of("train", "validation")) {
      List<int[]> rows = new ArrayList<>();
      for (int r = 0; r < (split.equals("train") ? 48 : 10); r++) {
        int[] row = new int[24];
        row[0] = 318;
        for (int i = 1; i < row.length; i++) row[i] = rng.nextInt(40) + (i % 7) * 40;
        rows.add(row);
      }
      TestDatasets.writeShard(data.resolve(split + "/part-00000.parquet"), rows);
    }
    TestDatasets.commit(data, "train", "validation");
    Files.writeString(dir.resolve("local2.conf"), "spark.master local[2]\n"
        + "spark.ui.enabled false\nspark.driver.host 127.0.0.1\nspark.driver.bindAddress 127.0.0.1\n"
        + "spark.serializer org.apache.spark.serializer.KryoSerializer\n" // as conf/spark/local.conf
        + extraSpark);
    return Files.writeString(dir.resolve("prune.yaml"), """
        experiment: prunetest
        data: {input: %s, output: %s, seq_len: 24}
        model: {pretrained: %s}
        prune: {method: random, neuron_sparsity: 0.5, residual_sparsity: 0.25, samples: 8, batch_size: 4, seed: 1}
        train: {output_dir: %s, max_steps: 6, learning_rate: 1.0e-3, per_device_train_batch_size: 4,
                per_device_eval_batch_size: 5, logging_steps: 2, eval_steps: 3, save_steps: 3}
        runs:
          random: {prune.method: random}
          attribution: {prune.method: attribution, prune.partitions: 2}
          norm: {prune.method: norm}
        """.formatted(dir, data, model, dir.resolve("out")));
  }

  @Test
  void randomAndAttributionPruningWriteTheirFilesAndRecover() throws Exception {
    Path conf = conf();
    for (String run : List.of("random", "attribution")) {
      CliTest.Run r = CliTest.narrow("prune", conf.toString(), "--run", run, "--spark-conf",
          dir.resolve("local2.conf").toString());
      assertEquals(0, r.exit(), run + ":\n" + r.err());
      Path out = dir.resolve("out").resolve(run);
      for (String f : List.of("pruning_mask.pt", "pruning_mask.safetensors", "pruning_stats.json",
          "experiment_metadata.json", "checkpoint-6/model.safetensors", "final_model/model.safetensors")) {
        assertTrue(Files.exists(out.resolve(f)), run + ": " + f);
      }
      JsonNode stats = new ObjectMapper().readTree(out.resolve("pruning_stats.json").toFile());
      assertEquals(stats.get("total_neurons").asInt() / 2, stats.get("total_neurons_pruned").asInt());
      assertEquals(run.equals("random"), stats.get("neuron_scores").isNull(), run);
      JsonNode meta = new ObjectMapper().readTree(out.resolve("experiment_metadata.json").toFile());
      assertEquals(run, meta.get("method").asText());
      assertEquals("untied-mha", meta.get("model_name").asText());
      assertEquals(0.5, meta.get("neuron_sparsity").asDouble());
      assertEquals(run.equals("random") ? 0 : 4, meta.get("batch_size").asInt(), "prune.batch_size, attribution's");
      double before = meta.get("eval_loss_before_pruning").asDouble();
      double after = meta.get("eval_loss_after_pruning").asDouble();
      double end = meta.get("eval_loss_final").asDouble();
      assertTrue(Double.isFinite(before) && Double.isFinite(after) && Double.isFinite(end), meta.toString());
      // the fixture's weights are random (loss about ln 320), so pruning moves the loss without a direction
      assertNotEquals(before, after, "the eval after pruning runs on the masked model: " + meta);
      assertEquals(64, meta.get("data_manifest_checksum").asText().length());
      assertTrue(r.out().contains("eval_loss"), r.out());
      JsonNode log = new ObjectMapper().readTree(out.resolve("final_model/trainer_state.json").toFile()).get("log_history");
      assertEquals(before, log.get(0).get("eval_loss_before_pruning").asDouble(), 0.0, "log_history starts before pruning");
      assertEquals(after, log.get(1).get("eval_loss").asDouble(), 1e-6, "then the masked model at step 0");
      SafetensorsHeader h = Safetensors.readHeader(out.resolve("pruning_mask.safetensors"));
      assertTrue(h.tensors().containsKey("lm_head.weight"));
      System.out.println(run + ": eval_loss before " + before + ", after pruning " + after + ", after recovery " + end);
    }
  }

  /**
   * Pruning by norm writes the same files as the other methods, its scores the group norms of the
   * base model, and prunes exactly the lowest of them.
   */
  @Test
  void normPruningCutsTheLowestNorms() throws Exception {
    Path conf = conf();
    CliTest.Run r = CliTest.narrow("prune", conf.toString(), "--run", "norm", "--spark-conf",
        dir.resolve("local2.conf").toString());
    assertEquals(0, r.exit(), r.err());
    Path out = dir.resolve("out/norm");
    for (String f : List.of("pruning_mask.pt", "pruning_mask.safetensors", "experiment_metadata.json",
        "final_model/model.safetensors")) {
      assertTrue(Files.exists(out.resolve(f)), f);
    }
    JsonNode stats = new ObjectMapper().readTree(out.resolve("pruning_stats.json").toFile());
    JsonNode scores = stats.get("neuron_scores");
    java.util.Set<String> pruned = new java.util.HashSet<>();
    stats.get("pruned_neurons").forEach(n -> pruned.add(n.get(0).asInt() + "/" + n.get(1).asInt()));
    assertEquals(stats.get("total_neurons").asInt() / 2, pruned.size());
    double highestPruned = Double.NEGATIVE_INFINITY;
    double lowestKept = Double.POSITIVE_INFINITY;
    for (int l = 0; l < scores.size(); l++) {
      for (int i = 0; i < scores.get(l).size(); i++) {
        double v = scores.get(l).get(i).asDouble();
        assertTrue(v > 0, "a norm");
        if (pruned.contains(l + "/" + i)) highestPruned = Math.max(highestPruned, v);
        else lowestKept = Math.min(lowestKept, v);
      }
    }
    assertTrue(highestPruned <= lowestKept, highestPruned + " pruned, " + lowestKept + " kept");
    assertEquals("norm", new ObjectMapper().readTree(out.resolve("experiment_metadata.json").toFile())
        .get("method").asText());
  }

  /**
   * Recovery as two data-parallel replicas (Spark barrier tasks, Kryo as in narrow's Spark
   * settings): each replica builds its mask hooks from the shipped index lists, and the pruned
   * weights are zero in the leader's checkpoints.
   */
  @Test
  void recoveryRunsAsReplicasWithTheMaskHeld() throws Exception {
    Path conf = conf();
    CliTest.Run r = CliTest.narrow("prune", conf.toString(), "--run", "random", "--spark-conf",
        dir.resolve("local2.conf").toString(), "--set", "distributed.replicas=2",
        "--set", "train.per_device_train_batch_size=2", "--set", "train.output_dir=" + dir.resolve("replicas"));
    assertEquals(0, r.exit(), r.err());
    Path out = dir.resolve("replicas/random");
    narrow.model.LlamaConfig c = narrow.model.LlamaConfig.read(Fixtures.model(Fixtures.UNTIED).resolve("config.json"));
    JsonNode stats = new ObjectMapper().readTree(out.resolve("pruning_stats.json").toFile());
    List<narrow.prune.PruningSelection.Neuron> neurons = new ArrayList<>();
    stats.get("pruned_neurons").forEach(n -> neurons.add(new narrow.prune.PruningSelection.Neuron(n.get(0).asInt(),
        n.get(1).asInt())));
    List<Integer> residuals = new ArrayList<>();
    stats.get("pruned_residuals").forEach(x -> residuals.add(x.asInt()));
    var mask = narrow.prune.PruningMask.of(new narrow.prune.PruningSelection(neurons, residuals,
        stats.get("total_neurons").asInt(), stats.get("total_residuals").asInt()), c);
    try (narrow.engine.TensorScope scope = new narrow.engine.TensorScope()) {
      var weights = Safetensors.read(out.resolve("final_model/model.safetensors"), narrow.engine.Device.CPU);
      for (var m : mask.parameters()) {
        float[] w = narrow.engine.Tensors.toFloats(weights.get(m.name()));
        long cols = m.shape().length == 1 ? 1 : m.shape()[1];
        for (int i = 0; i < w.length; i++) {
          float keep = m.shape().length == 1 ? m.valueAt(i, 0) : m.valueAt(i / cols, i % cols);
          if (keep == 0) assertEquals(0f, w[i], 0f, m.name() + "[" + i + "]");
        }
      }
    }
  }

  /** A folder holding a run is refused and left as it is; --overwrite replaces it, no old file surviving. */
  @Test
  void aFolderHoldingARunIsRefusedUnlessOverwritten() throws Exception {
    Path conf = conf();
    Path out = Files.createDirectories(dir.resolve("out/random"));
    Files.writeString(out.resolve("pruning_mask.pt"), "an older run's mask");
    CliTest.Run refused = CliTest.narrow("prune", conf.toString(), "--run", "random");
    assertEquals(2, refused.exit(), refused.err());
    assertTrue(refused.err().contains("narrow prune: " + out + " already holds a run (pruning_mask.pt): continue it "
        + "with --resume, or replace it with --overwrite (deletes everything in that folder)\n"), refused.err());
    assertEquals("an older run's mask", Files.readString(out.resolve("pruning_mask.pt")));

    Files.writeString(out.resolve("stale.json"), "{}");
    CliTest.Run replaced = CliTest.narrow("prune", conf.toString(), "--run", "random", "--overwrite",
        "--set", "train.max_steps=3");
    assertEquals(0, replaced.exit(), replaced.err());
    assertTrue(replaced.err().contains("narrow prune: --overwrite: deleted the run in " + out), replaced.err());
    assertFalse(Files.exists(out.resolve("stale.json")));
    assertNotEquals("an older run's mask", new String(Files.readAllBytes(out.resolve("pruning_mask.pt")),
        java.nio.charset.StandardCharsets.ISO_8859_1));
    assertTrue(Files.exists(out.resolve("final_model/_SUCCESS")));
  }

  /**
   * A base model whose weights are cut short, or whose config.json disagrees with its tensors, is
   * refused before Spark starts and before anything is written or deleted, even with --overwrite.
   */
  @Test
  void aBrokenBaseModelIsRefusedBeforeAnythingIsWritten() throws Exception {
    Path conf = conf();
    Path fixture = Fixtures.model(Fixtures.UNTIED);
    Path truncated = Files.createDirectories(dir.resolve("truncated"));
    Files.copy(fixture.resolve("config.json"), truncated.resolve("config.json"));
    byte[] weights = Files.readAllBytes(fixture.resolve("model.safetensors"));
    Files.write(truncated.resolve("model.safetensors"), java.util.Arrays.copyOf(weights, weights.length - 1000));
    Path out = Files.createDirectories(dir.resolve("out/random"));
    Files.writeString(out.resolve("pruning_mask.pt"), "an older run's mask");

    CliTest.Run cut = CliTest.narrow("prune", conf.toString(), "--run", "random", "--overwrite",
        "--set", "model.pretrained=" + truncated);
    assertEquals(2, cut.exit(), cut.err());
    assertTrue(cut.err().startsWith("narrow prune: " + truncated.resolve("model.safetensors")), cut.err());
    assertEquals(List.of("pruning_mask.pt"), CliTest.names(out), "the old run is untouched");

    Path mismatched = Files.createDirectories(dir.resolve("mismatched"));
    Files.writeString(mismatched.resolve("config.json"), Files.readString(fixture.resolve("config.json"))
        .replace("\"intermediate_size\": 96", "\"intermediate_size\": 128"));
    Files.copy(fixture.resolve("model.safetensors"), mismatched.resolve("model.safetensors"));
    CliTest.Run wrong = CliTest.narrow("prune", conf.toString(), "--run", "attribution",
        "--set", "model.pretrained=" + mismatched);
    assertEquals(2, wrong.exit(), wrong.err());
    assertEquals("narrow prune: " + mismatched + ": tensor 'model.layers.0.mlp.gate_proj.weight' has shape [96, 64], "
        + "the config needs [128, 64] (" + mismatched.resolve("config.json") + " and the weights describe "
        + "different models)", wrong.err().strip());
    assertFalse(Files.exists(dir.resolve("out/attribution")), "no run folder for a run that did not start");
  }

  @Test
  void aConfigWithoutPruneSectionOrWithBadValuesIsAClearError() throws Exception {
    Path conf = conf();
    CliTest.Run bad = CliTest.narrow("prune", conf.toString(), "--run", "random",
        "--set", "prune.neuron_sparsity=1.5", "--set", "prune.method=magnitude");
    assertEquals(2, bad.exit(), bad.err());
    assertTrue(bad.err().contains("prune.neuron_sparsity") && bad.err().contains("prune.method"), bad.err());
    Path none = Files.writeString(dir.resolve("none.yaml"), Files.readString(conf)
        .replaceAll("(?m)^prune:.*\\n", "").replaceAll("(?ms)^runs:.*", ""));
    CliTest.Run missing = CliTest.narrow("prune", none.toString());
    assertEquals(2, missing.exit(), missing.err());
    assertTrue(missing.err().contains("needs a prune: section"), missing.err());
  }

  /** The study's grids load and validate; each run's folder is n{n:.2f}_r{r:.2f}. */
  @Test
  void theStudysConfigsLoad() {
    for (String file : List.of("conf/pruneandtrain01.yaml", "conf/pruneandtrainrandom00.yaml")) {
      // the base model's folder must exist to load: the fixture stands in for Llama-3.2-1B
      List<String> model = List.of("model.pretrained=" + Fixtures.model(Fixtures.TIED).toAbsolutePath());
      var c = narrow.config.ConfigLoader.load(Path.of(file), null, model);
      assertEquals(file.contains("random") ? 3 : 7, c.runs().size(), file);
      for (String run : c.runs().keySet()) {
        var r = narrow.config.ConfigLoader.load(Path.of(file), run, model);
        assertEquals(run, String.format(java.util.Locale.ROOT, "n%.2f_r%.2f", r.prune().neuronSparsity(),
            r.prune().residualSparsity()));
        assertEquals(1024, r.prune().samples());
        assertEquals(file.contains("random") ? "random" : "attribution", r.prune().method().toString());
      }
    }
  }
}
