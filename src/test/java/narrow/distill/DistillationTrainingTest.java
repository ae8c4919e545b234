package narrow.distill;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import narrow.model.Fixtures;
import narrow.model.LlamaConfig;
import narrow.train.ModelSource;
import narrow.train.TestShardsAccess;
import narrow.train.TrainResult;
import narrow.train.TrainRun;
import narrow.train.Trainer;
import narrow.train.TrainingArguments;
import narrow.train.TrainingHooks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A student trained against the tied fixture model as its teacher, through the real trainer. */
class DistillationTrainingTest {
  static final List<String> STUDY_KEYS = List.of("combined_loss", "student_ce_loss", "distill_loss",
      "teacher_ce_loss", "student_ce_loss_smoothed", "teacher_ce_loss_smoothed");
  @TempDir Path tmp;

  static LlamaConfig student() throws Exception {
    return LlamaConfig.read(Fixtures.model(Fixtures.UNTIED).resolve("config.json"));
  }

  static TrainingHooks teacher() {
    return TrainingHooks.none().withObjective(
        new DistillSettings(Fixtures.model(Fixtures.TIED).toString(), 2.0, 0.5, 0.9).objective());
  }

  static TrainingArguments args(Path out, long steps) {
    return TrainingArguments.defaults(out.toString()).with(Map.ofEntries(
        Map.entry("max_steps", steps), Map.entry("learning_rate", 3e-3), Map.entry("warmup_steps", 2),
        Map.entry("per_device_train_batch_size", 4), Map.entry("gradient_accumulation_steps", 2),
        Map.entry("logging_steps", 1), Map.entry("eval_steps", 0), Map.entry("save_steps", 4),
        Map.entry("seed", 7), Map.entry("max_length", 24), Map.entry("bf16", false)));
  }

  Path data() throws Exception {
    return TestShardsAccess.learnable(tmp.resolve("data"), 318, 318, 24, true, 64, 10, 1);
  }

  /** Every logging step has the study's keys; loss is the combined loss, alpha-weighted from its parts. */
  @Test
  void logsTheStudysKeys() throws Exception {
    TrainResult r = Trainer.train(TrainRun.of(new ModelSource.Fresh(student(), 1), data(), args(tmp.resolve("o"), 6)
        .with(Map.of("eval_steps", 3, "per_device_eval_batch_size", 3))).withHooks(teacher()));
    List<Map<String, Object>> entries = r.state().entriesWith("distill_loss");
    assertEquals(6, entries.size());
    double teacherCe = num(entries.get(0), "teacher_ce_loss");
    for (Map<String, Object> e : entries) {
      for (String key : STUDY_KEYS) assertTrue(e.containsKey(key), key + " missing from " + e);
      assertEquals(num(e, "loss"), num(e, "combined_loss"), 1e-9);
      assertEquals(0.5 * num(e, "student_ce_loss") + 0.5 * num(e, "distill_loss"), num(e, "combined_loss"), 1e-5);
      assertTrue(num(e, "teacher_ce_loss") > 0 && num(e, "distill_loss") >= 0, e.toString());
    }
    // the teacher does not learn: its CE moves only with the rows
    assertEquals(teacherCe, num(entries.get(5), "teacher_ce_loss"), 0.5 * teacherCe);
    List<Map<String, Object>> evals = r.state().entriesWith("eval_loss");
    assertEquals(2, evals.size(), "eval every 3 of 6 steps");
    for (Map<String, Object> e : evals) {
      assertTrue(num(e, "eval_teacher_ce_loss") > 0 && num(e, "eval_teacher_ce_loss") != num(e, "eval_loss"), e.toString());
    }
    assertEquals(num(evals.get(0), "eval_teacher_ce_loss"), num(evals.get(1), "eval_teacher_ce_loss"), 1e-9,
        "the teacher does not learn: the same rows, the same CE");
    double first = num(entries.get(0), "student_ce_loss");
    assertEquals(first * 0.1 + 0.9 * first, num(entries.get(0), "student_ce_loss_smoothed"), 1e-9,
        "the first smoothed value is the first value");
  }

  /** Resumed from checkpoint-4, the smoothed losses and the losses continue as in the uninterrupted run. */
  @Test
  void resumeContinuesTheSmoothedLosses() throws Exception {
    Path data = data();
    TrainResult full = Trainer.train(TrainRun.of(new ModelSource.Fresh(student(), 3), data, args(tmp.resolve("full"), 8))
        .withHooks(teacher()));
    TrainResult resumed = Trainer.train(TrainRun.of(new ModelSource.Fresh(student(), 99), data,
        args(tmp.resolve("resumed"), 8)).resumingFrom(tmp.resolve("full/checkpoint-4")).withHooks(teacher()));
    List<Map<String, Object>> a = full.state().entriesWith("distill_loss");
    List<Map<String, Object>> b = resumed.state().entriesWith("distill_loss");
    assertEquals(a.size(), b.size());
    for (int i = 4; i < a.size(); i++) {
      for (String key : STUDY_KEYS) {
        assertEquals(num(a.get(i), key), num(b.get(i), key), 1e-6 * Math.abs(num(a.get(i), key)),
            key + " at step " + (i + 1));
      }
    }
  }

  private static double num(Map<String, Object> e, String key) {
    return ((Number) e.get(key)).doubleValue();
  }
}
