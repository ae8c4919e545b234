package narrow.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.Fixtures;
import narrow.model.LlamaForCausalLM;
import narrow.model.LlamaWeights;
import narrow.sparsity.AdaptiveLambda;
import narrow.sparsity.Penalty;
import narrow.sparsity.SparsitySettings;
import narrow.train.Objective;
import narrow.util.UserError;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code bench penalty}: the subcommand on a tiny slice, its options' checks, the report's arithmetic. */
class PenaltyBenchTest {
  private static final String[] TINY = {"penalty", "--layers", "1", "--hidden", "64", "--intermediate", "128",
      "--heads", "4", "--kv-heads", "2", "--vocab", "320", "--seq", "32", "--rounds", "1"};

  @Test
  void theSubcommandReportsEveryStepPenaltyAndShare() {
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      code = new CommandLine(new BenchCommand()).execute(TINY);
    } finally {
      System.setOut(stdout);
    }
    String table = captured.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, table);
    List<String> expected = new java.util.ArrayList<>(List.of(
        "model: Llama-3.2-1B's shape, 1 layer(s): hidden 64, intermediate 128, 4 heads, 2 key/value heads "
            + "(head width 16),",
        "vocabulary 320, tied;",
        "bf16 autocast on",
        "layers : head in matmul parameters ",
        "batch 1 x 32, accumulation 1; 1 rounds",
        "(a) training step without penalty",
        "of which optimizer (clipping, AdamW)",
        "(b) training step with l1_of_l2_of_mlps, lambda 5.0E-4",
        "of which the penalty and its gradient (timed inside)",
        "penalty's share of a step, measured directly: ((b) - (a)) / (a) = ",
        "(c) Penalty.apply alone",
        "study share: (c) / (108 x (a) per row of 1024 tokens)"));
    for (Penalty p : Penalty.values()) expected.add("  " + p.studyName() + " ");
    for (String line : expected) assertTrue(table.contains(line), "'" + line + "' in\n" + table);
  }

  @Test
  void optionsThatCannotRunAreUserErrorsNamingTheOption() {
    PenaltyBenchOptions d = PenaltyBenchOptions.defaults();
    UserError e = assertThrows(UserError.class, () -> new PenaltyBenchOptions(1, 64, 128, 3, 1, 320, 1, 32, 1,
        d.penalties(), d.stepPenalty(), d.lambda()));
    assertTrue(e.getMessage().contains("--heads 3"), e.getMessage());
    e = assertThrows(UserError.class, () -> new PenaltyBenchOptions(1, 64, 128, 4, 3, 320, 1, 32, 1,
        d.penalties(), d.stepPenalty(), d.lambda()));
    assertTrue(e.getMessage().contains("--kv-heads 3"), e.getMessage());
    e = assertThrows(UserError.class, () -> PenaltyBenchOptions.penalties(List.of("l1_of_l2_of_mlps", "l2")));
    assertTrue(e.getMessage().contains("--penalties") && e.getMessage().contains("group_lasso_residual_stream"),
        e.getMessage());
    assertEquals(List.of(Penalty.GROUP_HOYER_NEURONS), PenaltyBenchOptions.penalties(List.of("group_hoyer_neurons")));
  }

  /** The default slice is Llama-3.2-1B's shape (tied, 32 heads of 64, 8 key/value heads), cut to 2 layers. */
  @Test
  void theDefaultSliceIsLlama32OneBsShape() {
    var c = PenaltyBenchOptions.defaults().config();
    var full = PruneBenchOptions.llama32OneB();
    assertEquals(2, c.numHiddenLayers());
    assertEquals(List.of(full.hiddenSize(), full.intermediateSize(), full.numAttentionHeads(),
        full.numKeyValueHeads(), full.headDim(), full.vocabSize()), List.of(c.hiddenSize(), c.intermediateSize(),
        c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), c.vocabSize()));
    assertTrue(c.tieWordEmbeddings());
    assertEquals(3.70, PenaltyBenchReport.layersToHead(full), 0.005);
    assertEquals(0.46, PenaltyBenchReport.layersToHead(c), 0.005, "2 of 16 layers: an eighth of the proportion");
    assertEquals(319, with(320, 1, 32).config().eosTokenId(), "an id the vocabulary has");
  }

  @Test
  void theReportsSharesAreTheirRatios() {
    Map<Penalty, double[]> alone = new LinkedHashMap<>();
    alone.put(Penalty.L1_OF_L2_OF_MLPS, new double[] {0.2, 0.1, 0.9});
    PenaltyBenchOptions o = with(128256, 2, 512); // 1024 tokens: one study row
    var machine = new TrainBenchReport.Machine(2, "cpu", "avx2", "glibc", "PASSIVE", "1.0", "2.0");
    var r = new PenaltyBenchReport(o, machine, "engine", 1000, new double[] {10, 9, 11}, new double[] {1, 1, 1},
        new double[] {10.5, 11, 10.2}, new double[] {0.2, 0.2, 0.3}, alone, 1);
    // each round's own ratio, then the median over the rounds
    assertEquals(0.05, r.directShare(), 1e-12, "(10.5 - 10) / 10; (11 - 9) / 9 and (10.2 - 11) / 11 either side");
    assertEquals(0.2 / 10.3, r.inStepShare(), 1e-12, "the penalty over the rest of its own step");
    assertEquals(0.02, r.aloneShare(Penalty.L1_OF_L2_OF_MLPS), 1e-12, "0.2 / 10 between 0.1 / 9 and 0.9 / 11");
    assertEquals(0.2 / (108 * 10.0), r.studyShare(Penalty.L1_OF_L2_OF_MLPS), 1e-15);
    assertEquals(0.2 / (108 * 9.0 + 1), r.studyShareOptimizerOnce(Penalty.L1_OF_L2_OF_MLPS), 1e-15);
    assertEquals(16032, r.proportionalVocab(), "128256 x 2 / 16 at Llama-3.2-1B's widths");
    String table = r.table();
    assertTrue(table.contains("((b) - (a)) / (a) = 5.00%; timed inside (b)"), table);
    assertTrue(table.contains("its step: 1.94%"), table);
    assertTrue(table.contains("2.00%        0.019%        0.021%"), table);
  }

  /** Off, plain training's term; on, the penalty's, with its gradient added and its time kept. */
  @Test
  void theSwitchedObjectiveAddsThePenaltyOnlyWhenOn() throws Exception {
    try (TensorScope scope = new TensorScope();
        LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(Fixtures.UNTIED))) {
      LlamaWeights<Tensor> grads = model.weights().map(t -> Tensors.zeros(Device.CPU, Tensors.shape(t)));
      SwitchedObjective s = new SwitchedObjective(new SparsitySettings(Penalty.L1_OF_L2_OF_MLPS,
          AdaptiveLambda.Settings.fixed(0.5), false).objective());
      assertSame(Objective.StepTerm.NONE, s.afterBackward(model.weights(), grads, java.util.Map.of("loss", 1.0), 1));
      assertEquals(0, Tensors.toFloats(grads.layers().get(0).gate())[0], "no gradient while off");
      s.enable(true);
      Objective.StepTerm on = s.afterBackward(model.weights(), grads, java.util.Map.of("loss", 1.0), 2);
      assertEquals(0.5 * Penalty.L1_OF_L2_OF_MLPS.value(model.weights()), on.addedLoss(), 1e-9);
      assertNotEquals(0, Tensors.toFloats(grads.layers().get(0).gate())[0], "the penalty's gradient while on");
      assertTrue(s.lastSeconds() > 0);
    }
  }

  private static PenaltyBenchOptions with(int vocab, int batch, int seq) {
    PenaltyBenchOptions d = PenaltyBenchOptions.defaults();
    return new PenaltyBenchOptions(d.layers(), d.hidden(), d.intermediate(), d.heads(), d.kvHeads(), vocab, batch, seq,
        d.rounds(), d.penalties(), d.stepPenalty(), d.lambda());
  }
}
