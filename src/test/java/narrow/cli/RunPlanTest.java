package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import narrow.model.LlamaConfig;
import narrow.model.ModelStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code narrow run --dry-run}: the plan of a grid read from the run folders' markers, and
 * {@code --run} globs; nothing starts and nothing is written.
 */
class RunPlanTest {
  @TempDir Path dir;

  private Path grid() throws IOException {
    return Files.writeString(dir.resolve("grid.yaml"), """
        experiment: grid
        output_root: %s
        data: {input: %s, output: %s, seq_len: 24}
        model: {preset: d16_l1_h2}
        train: {max_steps: 4, per_device_train_batch_size: 2, save_steps: 2}
        runs:
          a_done: {model.seed: 1}
          b_partial: {model.seed: 2}
          c_new: {model.preset: d32_l1_h2, train.gradient_accumulation_steps: 3, distributed.replicas: 2}
          d_bad: {train.learning_rate: -1}
        """.formatted(dir.resolve("study"), dir, dir.resolve("data")));
  }

  private static String flops(String preset, long tokens) {
    return String.format(Locale.ROOT, "%.3g", 6.0 * ModelStats.of(LlamaConfig.preset(preset)).nParams() * tokens);
  }

  private static void hasRow(String out, String... cells) {
    String row = "(?m)^ +" + String.join(" +", Stream.of(cells).map(Pattern::quote).toList()) + "$";
    assertTrue(Pattern.compile(row).matcher(out).find(), String.join(" | ", cells) + " in:\n" + out);
  }

  private static List<String> tree(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.map(root::relativize).map(Path::toString).sorted().toList();
    }
  }

  @Test
  void theDryRunShowsEachRunsStateMethodTokensFlopsAndReplicasAndWritesNothing() throws IOException {
    Path conf = grid();
    Path exp = dir.resolve("study/grid");
    Files.createDirectories(exp.resolve("a_done/final_model"));
    Files.createFile(exp.resolve("a_done/final_model/_SUCCESS"));
    Files.createDirectories(exp.resolve("b_partial/checkpoint-2"));
    Files.createFile(exp.resolve("b_partial/checkpoint-2/_SUCCESS"));
    Files.createDirectories(exp.resolve("b_partial/checkpoint-4")); // killed while saving: no marker
    List<String> before = tree(dir);

    CliTest.Run r = CliTest.narrow("run", conf.toString(), "--dry-run");
    assertEquals(1, r.exit(), "one run cannot run:\n" + r.out() + r.err());
    hasRow(r.out(), "run", "state", "will", "method", "parameters", "tokens", "FLOPs", "replicas");
    // 4 steps × 2 sequences × 1 accumulation × 1 replica × 24 tokens
    hasRow(r.out(), "a_done", "done", "skip", "from scratch", "preset d16_l1_h2", "192", flops("d16_l1_h2", 192), "1");
    hasRow(r.out(), "b_partial", "partial at step 2", "resume from checkpoint-2", "from scratch", "preset d16_l1_h2",
        "192", flops("d16_l1_h2", 192), "1");
    // 4 × 2 × 3 × 2 replicas × 24
    hasRow(r.out(), "c_new", "new", "start", "from scratch", "preset d32_l1_h2", "1.15e+03",
        flops("d32_l1_h2", 1152), "2");
    hasRow(r.out(), "d_bad", "invalid", "-", "-", "-", "-", "-", "-");
    assertTrue(r.out().contains("cannot run:\n  d_bad: " + conf + ": invalid configuration; key "
        + "'train.learning_rate': must be >= 0, got -1.0"), r.out());
    assertTrue(r.out().contains("N = the model's n_params as model_stats.json counts it"), r.out());
    assertEquals(before, tree(dir), "a dry run writes nothing");
    System.out.println(r.out());
  }

  @Test
  void runPicksRunsByNameOrGlobInTheFilesOrder() throws IOException {
    Path conf = grid();
    CliTest.Run r = CliTest.narrow("run", conf.toString(), "--dry-run", "--run", "c_new", "--run", "[ab]_*");
    assertEquals(0, r.exit(), r.out() + r.err());
    List<String> rows = r.out().lines().filter(l -> l.matches(" +[abcd]_\\w+ .*")).map(l -> l.strip().split(" ")[0])
        .toList();
    assertEquals(List.of("a_done", "b_partial", "c_new"), rows);

    CliTest.Run none = CliTest.narrow("run", conf.toString(), "--dry-run", "--run", "e_*");
    assertEquals(2, none.exit());
    assertEquals("narrow run: " + conf + ": --run e_* matches no run; runs: a_done, b_partial, c_new, d_bad\n",
        none.err());

    Path single = Files.writeString(dir.resolve("single.yaml"), Files.readString(conf).replaceAll("(?s)runs:.*", ""));
    CliTest.Run noGrid = CliTest.narrow("run", single.toString(), "--dry-run", "--run", "a_done");
    assertEquals(2, noGrid.exit());
    assertTrue(noGrid.err().contains("this experiment has no runs: grid; leave out --run to run its one run"),
        noGrid.err());
    CliTest.Run defaultRun = CliTest.narrow("run", single.toString(), "--dry-run");
    assertEquals(0, defaultRun.exit(), defaultRun.err());
    hasRow(defaultRun.out(), "d16_l1_h2", "new", "start", "from scratch", "preset d16_l1_h2", "192",
        flops("d16_l1_h2", 192), "1");
  }

  /** The study's own grids, as shipped: their sizes' tokens and FLOPs, a λ as the file writes it. */
  @Test
  void theStudysGridsPlanTheirTokensAndFlops() throws IOException {
    CliTest.Run sizes = CliTest.narrow("run", "conf/trainscratch01.yaml", "--dry-run",
        "--set", "output_root=" + dir);
    assertEquals(0, sizes.exit(), sizes.out() + sizes.err());
    // 100,000 steps × 16 sequences × 4 accumulated × 1 replica × 1024 tokens
    hasRow(sizes.out(), "d256_l4_h4", "new", "start", "from scratch", "preset d256_l4_h4", "6.55e+09",
        flops("d256_l4_h4", 6_553_600_000L), "1");
    hasRow(sizes.out(), "d2048_l32_h32", "new", "start", "from scratch", "preset d2048_l32_h32", "6.55e+09",
        flops("d2048_l32_h32", 6_553_600_000L), "1");
    assertTrue(sizes.out().indexOf("  d256_l4_h4 ") < sizes.out().indexOf("  d2048_l32_h32 "), "the file's order");

    CliTest.Run lambdas = CliTest.narrow("run", "conf/tuneprune15-redo.yaml", "--dry-run", "--run", "lambda_0.0005*",
        "--set", "model.pretrained=" + narrow.model.Fixtures.model(narrow.model.Fixtures.UNTIED).toAbsolutePath(),
        "--set", "output_root=" + dir);
    assertEquals(0, lambdas.exit(), lambdas.out() + lambdas.err());
    // 70,000 steps × 18 × 6 × 1 × 1024
    assertTrue(lambdas.out().matches("(?s).*\\n +lambda_0\\.0005_bs_18_acc_6 +new +start +group sparsity +base [^ ]+, "
        + "λ 0\\.0005 +7\\.74e\\+09 .*"), lambdas.out());
  }
}
