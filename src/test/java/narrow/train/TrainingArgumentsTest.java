package narrow.train;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingArgumentsTest {
  @TempDir Path tmp;

  @Test
  void hfNamesDefaultsAndOverrides() throws Exception {
    TrainingArguments a = TrainingArguments.defaults("out")
        .with(Map.of("learning_rate", 5e-4, "max_steps", 100, "adam_beta2", 0.95, "save_total_limit", 3));
    assertEquals(5e-4, a.learningRate());
    assertEquals(100, a.maxSteps());
    assertEquals(0.95, a.adamBeta2());
    assertEquals(3, a.saveTotalLimit());
    assertEquals(1e-8, a.adamEpsilon());
    Map<String, Object> m = a.toMap();
    assertEquals(List.of("output_dir", "learning_rate", "weight_decay", "adam_beta1", "adam_beta2"),
        List.copyOf(m.keySet()).subList(0, 5));
    assertThrows(IllegalArgumentException.class, () -> a.with("learning_rat", 1.0));
    assertThrows(IllegalArgumentException.class, () -> a.with("max_steps", 0));
    Path json = tmp.resolve("training_args.json");
    a.writeJson(json);
    assertEquals(a, TrainingArguments.readJson(json));
    assertEquals(a, TrainingArguments.fromMap(m));
  }

  /** Every bad argument is named, with what is wrong in plain words (not Jackson's). */
  @Test
  void badArgumentsAreNamed() {
    TrainingArguments a = TrainingArguments.defaults("out");
    Map<String, Object[]> cases = new java.util.LinkedHashMap<>();
    cases.put("learning_rat", new Object[] {1.0, "not a training argument (known: output_dir, learning_rate"});
    cases.put("max_steps", new Object[] {"abc", "'abc' is not an integer"});
    cases.put("learning_rate", new Object[] {"fast", "'fast' is not a number"});
    cases.put("max_length", new Object[] {1, "must be > 1, got 1"});
    cases.put("gradient_accumulation_steps", new Object[] {0, "must be > 0, got 0"});
    cases.put("eval_steps", new Object[] {-1, "must be >= 0 (0 = never), got -1"});
    cases.put("lr_scheduler_type", new Object[] {"cosin", "must be one of [cosine, linear, constant_with_warmup, constant], got cosin"});
    cases.forEach((name, c) -> {
      TrainingArguments.Invalid e = assertThrows(TrainingArguments.Invalid.class, () -> a.with(name, c[0]), name);
      assertEquals(name, e.argument());
      assertTrue(e.problem().startsWith((String) c[1]), name + ": " + e.problem());
      assertEquals(name + ": " + e.problem(), e.getMessage());
    });
  }

  @Test
  void warmupRatioWhenNoWarmupSteps() {
    TrainingArguments a = TrainingArguments.defaults("o").with(Map.of("max_steps", 100, "warmup_ratio", 0.1,
        "lr_scheduler_type", "cosine", "learning_rate", 1.0));
    assertEquals(10, a.effectiveWarmupSteps());
    assertEquals(0.5, a.schedule().lr(5), 1e-12);
    assertEquals(3, a.with("warmup_steps", 3).effectiveWarmupSteps());
  }

  @Test
  void trainerStateRoundTripsInHfSchema() throws Exception {
    TrainingArguments a = TrainingArguments.defaults("o").with(Map.of("logging_steps", 5, "max_steps", 20));
    TrainerState s = TrainerState.start(a, 2);
    s.globalStep = 10;
    s.epoch = 0.5;
    s.logHistory.add(new java.util.LinkedHashMap<>(Map.of("loss", 2.5, "step", 5)));
    Path f = tmp.resolve("trainer_state.json");
    s.write(f);
    var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(f.toFile());
    for (String key : List.of("best_metric", "best_model_checkpoint", "epoch", "eval_steps", "global_step",
        "is_hyper_param_search", "is_local_process_zero", "is_world_process_zero", "log_history",
        "logging_steps", "max_steps", "num_train_epochs", "save_steps", "stateful_callbacks", "total_flos",
        "train_batch_size", "trial_name", "trial_params")) {
      assertTrue(tree.has(key), key);
    }
    assertEquals(5, tree.get("logging_steps").asInt());
    assertTrue(tree.get("stateful_callbacks").get("TrainerControl").get("args").get("should_save").asBoolean());
    TrainerState back = TrainerState.read(f);
    assertEquals(10, back.globalStep());
    assertEquals(2.5, ((Number) back.entriesWith("loss").get(0).get("loss")).doubleValue());
  }
}
