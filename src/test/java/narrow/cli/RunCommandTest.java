package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import narrow.study.RunOutcome;
import narrow.study.SharedSpark;
import narrow.study.StudyRunner;
import narrow.util.LocalFolders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code narrow run} over a grid of tiny runs in the study's tree ({@code output_root}): a done run
 * is skipped untouched, an interrupted one resumes, a failing one is reported and the next goes
 * on; a pruning run whose base model is a run of the same tree.
 */
@narrow.Slow
class RunCommandTest {
  @TempDir Path dir;

  private Path conf() throws IOException {
    Path data = narrow.train.TestShardsAccess.learnable(dir.resolve("data"), 318, 318, 24, true, 32, 6, 1);
    return Files.writeString(dir.resolve("grid.yaml"), """
        experiment: gridrun
        output_root: %s
        data: {input: %s, output: %s, seq_len: 24}
        model: {preset: d16_l1_h2, seed: 7}
        train: {learning_rate: 1.0e-3, max_steps: 4, per_device_train_batch_size: 2, logging_steps: 1,
                eval_steps: 2, save_steps: 2, bf16: false}
        runs:
          a_done: {model.seed: 1}
          b_bad: {train.skip_train_rows: 1000}
          c_partial: {model.seed: 3}
        """.formatted(dir.resolve("study"), dir, data));
  }

  private static Map<String, FileTime> mtimes(Path folder) throws IOException {
    Map<String, FileTime> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path f : files.toList()) out.put(folder.relativize(f).toString(), Files.getLastModifiedTime(f));
    }
    return out;
  }

  @Test
  void aGridSkipsWhatIsDoneResumesWhatIsPartialAndGoesOnAfterAFailure() throws Exception {
    Path conf = conf();
    Path exp = dir.resolve("study/gridrun");
    CliTest.Run first = CliTest.narrow("run", conf.toString(), "--run", "a_done");
    assertEquals(0, first.exit(), first.out() + first.err());
    assertTrue(Files.exists(exp.resolve("a_done/final_model/_SUCCESS")), "the study's layout");
    assertTrue(Files.exists(exp.resolve("a_done/model_stats.json")));
    Map<String, FileTime> done = mtimes(exp.resolve("a_done"));
    // a run stopped after its checkpoint-2: what `narrow train` of 2 steps leaves, less its final model
    CliTest.Run stopped = CliTest.narrow("train", conf.toString(), "--run", "c_partial", "--set", "train.max_steps=2");
    assertEquals(0, stopped.exit(), stopped.err());
    LocalFolders.deleteRecursively(exp.resolve("c_partial/final_model"));

    CliTest.Run all = CliTest.narrow("run", conf.toString());
    assertEquals(1, all.exit(), "one run failed:\n" + all.out() + all.err());
    assertTrue(all.out().contains("== narrow run [1/3] a_done: done, skip -> " + exp.resolve("a_done")), all.out());
    assertEquals(done, mtimes(exp.resolve("a_done")), "a done run is left untouched");
    String reason = "the train split of file:" + dir.resolve("data") + " has 0 rows after the first 1000 skipped "
        + "(of 32), fewer than one batch of 2 (per_device_train_batch_size x replicas)";
    assertTrue(all.err().contains("narrow run: b_bad failed: " + reason + "\n"), all.err());
    assertFalse(Files.exists(exp.resolve("b_bad")), "a run that failed before its first step leaves no folder");
    assertTrue(all.err().contains("narrow train: resuming from " + exp.resolve("c_partial/checkpoint-2")), all.err());
    assertTrue(Files.exists(exp.resolve("c_partial/checkpoint-4/_SUCCESS")));
    assertTrue(Files.exists(exp.resolve("c_partial/final_model/_SUCCESS")));
    String summary = all.out().substring(all.out().indexOf("narrow run: 3 runs, 1 failed"));
    assertTrue(summary.matches("(?s).*\\n +a_done +done +skipped: final_model complete +\\d+\\.\\d{4} .*"), summary);
    assertTrue(summary.matches("(?s).*\\n +b_bad +new +FAILED +- .*"), summary);
    assertTrue(summary.matches("(?s).*\\n +c_partial +partial at step 2 +resumed at step 2, trained to step 4 +"
        + "\\d+\\.\\d{4} .*"), summary);
    assertTrue(summary.contains("\n  b_bad failed: " + reason + "\n"), summary);
    System.out.println(summary);

    // after each run, skipped and failed ones too, the hook the metrics tables are rebuilt from
    List<String> seen = new ArrayList<>();
    try (SharedSpark spark = new SharedSpark(new SparkOptions(), "test")) {
      int exit = new StudyRunner(conf, List.of(), spark, new RunFailures(),
          (root, o) -> seen.add(root + " " + o.run() + " " + o.result())).run(List.of("a_done", "b_bad", "c_partial"));
      assertEquals(1, exit);
    }
    String root = dir.resolve("study").toString();
    assertEquals(List.of(root + " a_done " + RunOutcome.Result.SKIPPED, root + " b_bad " + RunOutcome.Result.FAILED,
        root + " c_partial " + RunOutcome.Result.SKIPPED), seen);
  }

  /**
   * A pruning experiment in the same tree prunes a run of it; interrupted after its mask was
   * written, it starts over (a pruning run does not resume its recovery) and says so.
   */
  @Test
  void aPruningRunPrunesABaseModelOfTheSameTreeAndStartsOverWhenPartial() throws Exception {
    Path conf = conf();
    assertEquals(0, CliTest.narrow("run", conf.toString(), "--run", "a_done").exit());
    Path base = dir.resolve("study/gridrun/a_done/final_model");
    Path prune = Files.writeString(dir.resolve("prune.yaml"), Files.readString(conf)
        .replace("experiment: gridrun", "experiment: prunegrid")
        .replace("model: {preset: d16_l1_h2, seed: 7}", "model: {pretrained: " + base + "}\n"
            + "prune: {method: random, neuron_sparsity: 0.5, residual_sparsity: 0.25, samples: 8, seed: 1}")
        .replaceAll("(?s)runs:.*", "runs:\n  n0.50_r0.25: {prune.seed: 1}\n"));
    CliTest.Run r = CliTest.narrow("run", prune.toString());
    assertEquals(0, r.exit(), r.out() + r.err());
    Path run = dir.resolve("study/prunegrid/n0.50_r0.25");
    for (String f : List.of("pruning_mask.pt", "pruning_stats.json", "experiment_metadata.json", "checkpoint-2/_SUCCESS",
        "final_model/_SUCCESS")) {
      assertTrue(Files.exists(run.resolve(f)), f);
    }
    LocalFolders.deleteRecursively(run.resolve("final_model"));
    LocalFolders.deleteRecursively(run.resolve("checkpoint-4"));
    CliTest.Run plan = CliTest.narrow("run", prune.toString(), "--dry-run");
    assertTrue(plan.out().matches("(?s).*\\n +n0\\.50_r0\\.25 +partial at step 2 +start over \\(a pruning run does not "
        + "resume its recovery\\) +prune random \\+ recovery +base " + base + ", neurons 0\\.50, residual 0\\.25 .*"),
        plan.out());
    CliTest.Run again = CliTest.narrow("run", prune.toString());
    assertEquals(0, again.exit(), again.out() + again.err());
    assertTrue(again.out().contains("started over, pruned (random), recovered to step 4"), again.out());
    assertTrue(Files.exists(run.resolve("final_model/_SUCCESS")));
  }
}
