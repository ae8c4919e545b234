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
import narrow.engine.DType;
import narrow.engine.TensorScope;
import narrow.model.Fixtures;
import narrow.model.LlamaConfig;
import narrow.model.LlamaForCausalLM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped configs of group-sparsity fine-tuning and distillation, as a user runs them, for 20
 * steps on tiny models: {@code narrow train conf/<experiment>.yaml --run NAME} with the base
 * model, teacher, data and the study's tree (output_root) pointed at small local stand-ins.
 */
@narrow.Slow
class StudyConfigRunsTest {
  @TempDir Path dir;

  /** Rows of ids below {@code vocab}, a train and a validation split, committed as the tokenize job does. */
  Path data(int vocab) throws Exception {
    Path data = dir.resolve("data");
    SplittableRandom rng = new SplittableRandom(3);
    for (String split : List.of("train", "validation")) {
      List<int[]> rows = new ArrayList<>();
      for (int r = 0; r < (split.equals("train") ? 96 : 8); r++) {
        int[] row = new int[24];
        for (int i = 0; i < row.length; i++) row[i] = rng.nextInt(Math.min(vocab, 300));
        rows.add(row);
      }
      TestDatasets.writeShard(data.resolve(split + "/part-00000.parquet"), rows);
    }
    return TestDatasets.commit(data, "train", "validation");
  }

  List<String> common(Path data) {
    // a corpus that does not exist: training reads the shards of data.output, never data.input
    return List.of("--set", "data.input=/no/such/corpus", "--set", "data.output=" + data, "--set", "data.seq_len=24",
        "--set", "output_root=" + dir.resolve("study"), "--set", "train.max_steps=20",
        "--set", "train.per_device_train_batch_size=2", "--set", "train.gradient_accumulation_steps=2",
        "--set", "train.max_length=24", "--set", "train.logging_steps=5", "--set", "train.eval_steps=10",
        "--set", "train.save_steps=10", "--set", "train.warmup_steps=2");
  }

  @Test
  void tuneprune15RedoWritesTheStudysFilesAndKeys() throws Exception {
    List<String> args = new ArrayList<>(List.of("train", "conf/tuneprune15-redo.yaml", "--run",
        "lambda_0.001_bs_18_acc_6", "--set", "model.pretrained=" + Fixtures.model(Fixtures.UNTIED).toAbsolutePath(),
        "--set", "train.learning_rate=1.0e-3"));
    args.addAll(common(data(320)));
    CliTest.Run r = CliTest.narrow(args.toArray(String[]::new));
    assertEquals(0, r.exit(), r.err());
    Path run = dir.resolve("study/tuneprune15-redo/lambda_0.001_bs_18_acc_6");
    for (String f : List.of("experiment_metadata.json", "model_stats.json", "checkpoint-10/model.safetensors",
        "checkpoint-20/trainer_state.json", "final_model/model.safetensors")) {
      assertTrue(Files.exists(run.resolve(f)), f);
    }
    JsonNode meta = new ObjectMapper().readTree(run.resolve("experiment_metadata.json").toFile());
    assertEquals("l1_of_l2_of_mlps", meta.get("regularizer").asText());
    assertEquals(0.001, meta.get("sparsity_lambda").asDouble(), 0);
    assertEquals(64, meta.get("data_manifest_sha256").asText().length());
    JsonNode log = new ObjectMapper().readTree(run.resolve("final_model/trainer_state.json").toFile()).get("log_history");
    int withKeys = 0;
    for (JsonNode e : log) {
      if (!e.has("reg_loss")) continue;
      for (String key : List.of("data_loss", "reg_loss", "reg_loss_weighted", "current_lambda", "smoothed_loss",
          "total_loss", "neurons_below_0.01_median", "neuron_norm_q0.5")) {
        assertTrue(e.has(key), key + " in " + e);
      }
      withKeys++;
    }
    assertEquals(4, withKeys, "logging every 5 of 20 steps");
  }

  @Test
  void distillscratch00WritesTheStudysKeys() throws Exception {
    Path teacher = dir.resolve("teacher");
    try (TensorScope scope = new TensorScope();
        LlamaForCausalLM t = LlamaForCausalLM.init(LlamaConfig.preset("d64_l2_h2"), 11)) {
      t.save(teacher, DType.F32);
    }
    List<String> args = new ArrayList<>(List.of("train", "conf/distillscratch00.yaml", "--run",
        "d256_l4_h4_llama3.2-3b", "--set", "model.preset=d32_l1_h2", "--set", "distill.teacher=" + teacher));
    args.addAll(common(data(128_256)));
    CliTest.Run r = CliTest.narrow(args.toArray(String[]::new));
    assertEquals(0, r.exit(), r.err());
    Path run = dir.resolve("study/distillscratch00/d256_l4_h4_llama3.2-3b");
    assertTrue(Files.exists(run.resolve("final_model/model.safetensors")));
    JsonNode log = new ObjectMapper().readTree(run.resolve("final_model/trainer_state.json").toFile()).get("log_history");
    int withKeys = 0;
    for (JsonNode e : log) {
      if (!e.has("distill_loss")) continue;
      for (String key : List.of("loss", "combined_loss", "student_ce_loss", "student_ce_loss_smoothed",
          "teacher_ce_loss", "teacher_ce_loss_smoothed")) {
        assertTrue(e.has(key), key + " in " + e);
      }
      withKeys++;
    }
    assertEquals(4, withKeys, "logging every 5 of 20 steps");

    // a teacher of another vocabulary is refused before any work, naming both sizes
    Path other = dir.resolve("other-teacher");
    Files.createDirectories(other);
    Files.copy(Fixtures.model(Fixtures.TIED).resolve("config.json"), other.resolve("config.json"));
    List<String> bad = new ArrayList<>(args);
    bad.set(bad.indexOf("distill.teacher=" + teacher), "distill.teacher=" + other);
    bad.addAll(List.of("--set", "output_root=" + dir.resolve("refused")));
    CliTest.Run refused = CliTest.narrow(bad.toArray(String[]::new));
    assertEquals(2, refused.exit(), refused.err());
    assertTrue(refused.err().contains("do not share a tokenizer") && refused.err().contains("128256"), refused.err());
    assertFalse(Files.exists(dir.resolve("refused/distillscratch00/d256_l4_h4_llama3.2-3b/checkpoint-10")));
  }
}
