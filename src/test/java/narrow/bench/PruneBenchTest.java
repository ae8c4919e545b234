package narrow.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import narrow.model.LlamaConfig;
import narrow.prune.PruningMask;
import narrow.prune.RandomPruning;
import narrow.util.UserError;
import org.junit.jupiter.api.Test;

/** The pure parts of {@code bench prune}: the mask's model, the options' checks, the report's arithmetic. */
class PruneBenchTest {

  @Test
  void theDefaultMaskIsLlama32OneBsFiveGigabytes() {
    LlamaConfig c = PruneBenchOptions.maskConfig(PruneBenchOptions.defaults().maskModel());
    // Hugging Face's count for meta-llama/Llama-3.2-1B (tied embeddings)
    assertEquals(4L * 1_235_814_400L, PruneBench.maskBytes(c));
    PruningMask mask = PruningMask.of(RandomPruning.draw(c.numHiddenLayers(), c.intermediateSize(), c.hiddenSize(),
        0.5, 0.5, 0, false), c);
    assertEquals(1_235_814_400L, mask.numel(), "the files hold exactly the parameters, no lm_head: tied");
  }

  @Test
  void aMaskModelIsTheNamedShapeAPresetOrAConfigFile() {
    assertEquals(2048, PruneBenchOptions.maskConfig("Llama-3.2-1B").hiddenSize());
    assertEquals(LlamaConfig.preset("d64_l2_h2"), PruneBenchOptions.maskConfig("d64_l2_h2"));
    Path tiny = narrow.model.Fixtures.model(narrow.model.Fixtures.UNTIED);
    assertEquals(64, PruneBenchOptions.maskConfig(tiny.toString()).hiddenSize(), "a folder: its config.json");
    assertEquals(64, PruneBenchOptions.maskConfig(tiny.resolve("config.json").toString()).hiddenSize());
    UserError e = assertThrows(UserError.class, () -> PruneBenchOptions.maskConfig("llama-9b"));
    assertTrue(e.getMessage().contains("llama-3.2-1b"), e.getMessage());
    assertThrows(UserError.class, () -> PruneBenchOptions.maskConfig("d63_l2_h2"), "odd head width");
  }

  @Test
  void optionsThatCannotRunAreUserErrors() {
    PruneBenchOptions d = PruneBenchOptions.defaults();
    assertThrows(UserError.class, () -> with(d, 0, 0, "eager", "2g"), "nothing to measure");
    assertThrows(UserError.class, () -> with(d, -1, 1, "eager", "2g"));
    assertThrows(UserError.class, () -> with(d, 1, 1, "flash", "2g"));
    assertThrows(UserError.class, () -> with(d, 1, 1, "eager", "2 GB"));
    assertEquals(0, with(d, 0, 1, "sdpa", "512m").rounds(), "the mask part alone");
  }

  private static PruneBenchOptions with(PruneBenchOptions d, int rounds, int maskRounds, String kernel, String heap) {
    return new PruneBenchOptions(d.preset(), d.batch(), d.seq(), rounds, d.steps(), d.warmup(), kernel, heap,
        d.maskModel(), d.neuronSparsity(), d.residualSparsity(), maskRounds, d.maskHeap(), d.dir());
  }

  @Test
  void theReportPutsEachMeasureAgainstItsGoal() {
    long mib = 1024; // KiB
    var steps = new PruneBenchReport.StepsResult("d64_l2_h2", 100L << 20, 50L << 20, List.of(
        side("idle", 0, 0, 300 * mib),
        side("forward-backward", 1.0, 2.0, 1300 * mib),
        side("attribution", 1.1, 2.0, 1400 * mib),
        side("train", 2.2, 4.0, 1700 * mib)));
    assertEquals(1.1, steps.timeRatio("attribution", "forward-backward"), 1e-12);
    assertEquals(0.5, steps.timeRatio("attribution", "train"), 1e-12);
    assertEquals(1.0, steps.cpuRatio("attribution", "forward-backward"), 1e-12);
    assertEquals(850L << 20, steps.activationBytes(), "1000 MiB above the baseline less model and gradient");

    var mask = new PruneBenchReport.MaskResult("d64_l2_h2", 250_000_000L, 2, 4, 1, 2, 256L << 20, 120 * mib, List.of(
        new PruneBenchReport.WriteResult("pt", new double[] {2, 1, 3}, 1_000_000_000L, 30L << 20, 40L << 20, 1),
        new PruneBenchReport.WriteResult("safetensors", new double[] {1}, 1_000_000_000L, 30L << 20, 35L << 20, 0),
        new PruneBenchReport.WriteResult("plain", new double[] {0.5}, 1_000_000_000L, 30L << 20, 30L << 20, 0)));
    assertEquals(0.5, mask.write("pt").gbPerSecond(), 1e-12, "the median of the rounds");
    assertEquals(40L << 20, mask.heapPeakBytes(), "the mask files' peak; the plain write's is not the writer's");

    var machine = new TrainBenchReport.Machine(2, "cpu", "avx2", "glibc malloc (untuned)", "PASSIVE", "1.0", "2.0");
    String table = new PruneBenchReport(PruneBenchOptions.defaults(), machine, steps, mask, 3).table();
    for (String expected : List.of(
        "attribution / forward+backward: 1.10 by wall time, 1.00 by CPU time",
        "attribution / training step:    0.50 by wall time, 0.50 by CPU time",
        "= 7.33 x (model + one gradient), 1.10 x (model + one gradient + activations)",
        ".pt / plain: 0.25, .safetensors / plain: 0.50",
        "heap peak while writing a mask file: 40.0 MiB of -Xmx256m")) {
      assertTrue(table.contains(expected), "'" + expected + "' in\n" + table);
    }
  }

  private static PruneBenchReport.SideResult side(String work, double seconds, double cpu, long peakKb) {
    double[] s = work.equals("idle") ? new double[0] : new double[] {seconds, seconds * 2, seconds};
    double[] c = work.equals("idle") ? new double[0] : new double[] {cpu, cpu, cpu * 3};
    return new PruneBenchReport.SideResult(work, work, 1_000_000, s, c, peakKb + 700 * 1024, peakKb, 100 * 1024);
  }
}
