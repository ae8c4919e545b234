package narrow.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import narrow.distill.DistillSettings;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.Fixtures;
import narrow.model.LlamaForCausalLM;
import narrow.train.Objective;
import narrow.util.UserError;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code bench distill-step}: the subcommand on tiny presets, the report's goals and arithmetic, and
 * the bench's objectives: the study's form gives narrow's loss and gradient, and the switch
 * passes the teacher's loss through only when on.
 */
class DistillStepBenchTest {
  private static final String[] TINY = {"distill-step", "--student", "d32_l1_h2", "--teacher", "d64_l1_h2",
      "--seq", "16", "--rounds", "1"};

  @Test
  void theSubcommandReportsEveryStepAndBothGoals() {
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      code = assertTimeoutPreemptively(Duration.ofMinutes(5), () -> new CommandLine(new BenchCommand()).execute(TINY));
    } finally {
      System.setOut(stdout);
    }
    String table = captured.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, table);
    for (String line : List.of("student d32_l1_h2 (8,224,864 parameters), teacher d64_l1_h2 (16,482,496 parameters, "
            + "bf16), vocabulary 128,256", "bf16 autocast on", "batch 1 x 16, temperature 2, alpha 0.5; 1 rounds",
        "(a) student training step (fused side's JVM) ", "(a') student training step (study side's JVM) ",
        "(b) teacher forward alone (no grad, the step's autocast) ", "(c) distillation step, fused ",
        "(d) distillation step, study's unfused form ", "time goal: (c) / ((a) + 1.15 x (b)) = ",
        "study's form: (d) / ((a') + 1.15 x (b)) = ",
        "memory budget: teacher weights 31 MB + student weights, gradients, AdamW 126 MB + one logits [16 x 128,256] "
            + "bf16 4 MB = 161 MB", "teacher forward alone (its JVM) ",
        "student training steps only (fused side, teacher loaded) ", "memory goal: fused peak in use / budget = ",
        "what distillation adds to the student's training: fused ",
        "(c) fused distillation step: teacher forward and loss ", "(d) study's form: backward and optimizer ",
        "teacher forward alone: teacher forward (its logits alive) ")) {
      assertTrue(table.contains(line), "'" + line + "' in\n" + table);
    }
    // the fused side's peak is read after its distillation steps: the teacher's weights are in it
    Matcher peak = Pattern.compile("\\(c\\) fused distillation \\(its JVM, all steps\\) +(\\d+) ").matcher(table);
    assertTrue(peak.find(), table);
    assertTrue(Long.parseLong(peak.group(1)) >= 31, table);
  }

  @Test
  void theGoalsAreTheIssuesRatios() {
    DistillStepOptions o = DistillStepOptions.defaults();
    DistillStepReport.Trainer fused = new DistillStepReport.Trainer(new double[] {1, 2, 9}, new double[] {4, 4.5, 5},
        new double[] {0.1, 0.2, 0.3}, new double[] {1.5, 1.25, 1}, 100 * 1024, 2000 * 1024);
    DistillStepReport.Trainer unfused = new DistillStepReport.Trainer(new double[] {2}, new double[] {9},
        new double[] {0.25}, new double[] {3}, 100 * 1024, 4000 * 1024);
    DistillStepReport r = new DistillStepReport(o, TrainBench.machine("0 0 0"), "engine", 10_000_000, 100_000_000,
        new double[] {2}, 500 * 1024, fused, unfused,
        java.util.Map.of("(c) fused distillation step", List.of(new MemoryPhases.Phase("student forward", 300 * 1024,
            350 * 1024, 900 * 1024), new MemoryPhases.Phase("teacher forward and loss", 500 * 1024, 700 * 1024,
            1200 * 1024))), 1);
    assertEquals(4.5 / (2 + 1.15 * 2), r.timeRatio(fused), 1e-12, "medians: (a) 2, (b) 2, (c) 4.5");
    assertEquals(9 / (2 + 1.15 * 2), r.timeRatio(unfused), 1e-12);
    // under bf16 autocast the teacher is held in bf16: 2 bytes a parameter
    assertEquals(200_000_000L + 160_000_000L + 512L * 128256 * 2, r.budgetBytes());
    assertEquals(2000 * 1048576.0 / r.budgetBytes(), r.memoryRatio(fused), 1e-12);
    String table = r.table();
    assertTrue(table.contains("time goal: (c) / ((a) + 1.15 x (b)) = 1.05, goal <= 1: NOT met"), table);
    // judged on the memory in use at the probed step's peak (700 MB), the resident peak beside it
    assertEquals(700 * 1024, r.inUsePeakKb("(c)"));
    assertEquals(-1, r.inUsePeakKb("(d)"));
    assertTrue(table.contains("memory goal: fused peak in use / budget = 1.49, goal <= 1.10: NOT met; resident 4.27"),
        table);
    DistillStepReport unprobed = new DistillStepReport(o, TrainBench.machine("0 0 0"), "engine", 10_000_000,
        100_000_000, new double[] {2}, 500 * 1024, fused, unfused, java.util.Map.of(), 1);
    assertTrue(unprobed.table().contains("memory goal: fused resident peak / budget = 4.27, goal <= 1.10: NOT met "
        + "(memory in use not probed"), unprobed.table());
    assertTrue(table.contains("(d) / (c) = 2.00"), table);
    assertTrue(Pattern.compile("in \\(a\\): the loss \\(the student's CE\\) +0\\.200\n").matcher(table).find(), table);
    assertTrue(Pattern.compile("in \\(c\\): the teacher's forward and the fused loss +1\\.250\n").matcher(table).find(),
        table);
    assertTrue(table.contains("adds to the student's training: fused 1900 MB, study's form 3900 MB (peak less the "
        + "plain steps' peak, both with the teacher loaded), against one logits 125 MB"), table);
    assertTrue(Pattern.compile("\\(c\\) fused distillation step: teacher forward and loss +500 +700 +1200\n").matcher(table)
        .find(), table);
  }

  @Test
  void badOptionsAreUserErrors() {
    UserError e = assertThrows(UserError.class, () -> new DistillStepOptions("d256_l4_h4", "big", 1, 512, true, 2,
        0.5, 3, "512m"));
    assertTrue(e.getMessage().startsWith("--teacher: model preset 'big'"), e.getMessage());
    e = assertThrows(UserError.class, () -> new DistillStepOptions("d256_l4_h4", "d768_l12_h12", 1, 512, true, 2,
        0.5, 0, "512m"));
    assertTrue(e.getMessage().contains("--rounds"), e.getMessage());
  }

  /**
   * The study's form through autograd gives narrow's fused loss and logits gradient; switched off,
   * the objective is plain causal-LM training.
   */
  @Test
  void theStudysFormMatchesTheFusedObjectiveWhenSwitchedOn() throws Exception {
    String teacher = Fixtures.model(Fixtures.TIED).toString();
    try (TensorScope scope = new TensorScope();
        LlamaForCausalLM student = LlamaForCausalLM.load(Fixtures.model(Fixtures.UNTIED));
        Objective fused = new DistillSettings(teacher, 2, 0.5, 0.9).objective();
        SwitchedObjective study = new SwitchedObjective(new UnfusedDistillation(java.nio.file.Path.of(teacher), 2,
            0.5))) {
      // as a trainer does before its first step: the teachers load here
      Objective.Context context = new Objective.Context(new org.apache.hadoop.conf.Configuration(),
          narrow.engine.Device.CPU, false);
      fused.prepare(context);
      study.prepare(context);
      Tensor ids = Fixtures.batch(0, "input_ids");
      Tensor labels = Fixtures.batch(0, "labels");
      Objective.MicroBatch b = new Objective.MicroBatch(ids, labels, student.logits(ids), 0.5, 1);
      Objective.LogitsLoss plain = Objective.CAUSAL_LM.microBatchLoss(b);
      Objective.LogitsLoss off = study.microBatchLoss(b);
      assertEquals(Tensors.value(plain.loss()), Tensors.value(off.loss()), 1e-9);
      assertTrue(off.parts().isEmpty());
      study.enable(true);
      Objective.LogitsLoss expected = fused.microBatchLoss(b);
      Objective.LogitsLoss actual = study.microBatchLoss(b);
      assertEquals(Tensors.value(expected.loss()), Tensors.value(actual.loss()), 1e-5 * Tensors.value(expected.loss()));
      assertNotEquals(Tensors.value(plain.loss()), Tensors.value(actual.loss()), 1e-3);
      for (String part : expected.parts().keySet()) {
        assertEquals(Tensors.value(expected.parts().get(part)), Tensors.value(actual.parts().get(part)),
            1e-5 * Math.abs(Tensors.value(expected.parts().get(part))), part);
      }
      assertTrue(Fixtures.relativeError(Tensors.toFloats(actual.logitsGradient()),
          Tensors.toFloats(expected.logitsGradient())) < 1e-5);
    }
  }
}
