package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import narrow.train.Checkpoints;
import narrow.util.CompleteFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code narrow train} in a JVM of its own, stopped as Ctrl-C or a kill stops it (SIGTERM: the
 * shutdown hooks run): it says which checkpoint it saved last and the command that continues it.
 */
@narrow.Slow
class InterruptedTrainTest {
  @TempDir Path dir;

  @Test
  void aStoppedRunSaysWhatItSavedAndHowToContinue() throws Exception {
    Path data = narrow.train.TestShardsAccess.learnable(dir.resolve("data"), 318, 318, 24, true, 32, 6, 1);
    Path conf = Files.writeString(dir.resolve("exp.yaml"), """
        experiment: interrupted
        data: {input: %s, output: %s, seq_len: 24}
        model: {preset: d16_l1_h2, seed: 7}
        train: {output_dir: %s, max_steps: 1000000, per_device_train_batch_size: 2, logging_steps: 1,
                eval_steps: 0, save_steps: 2, save_total_limit: 2, bf16: false}
        """.formatted(dir, data, dir.resolve("experiments")));
    Path run = dir.resolve("experiments/d16_l1_h2");
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
        "-cp", System.getProperty("java.class.path"), "narrow.cli.Main",
        "train", conf.toString(), "--set", "model.seed=7", "--overwrite");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    try {
      assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        // step 5 is logged after step 4's save: checkpoint-4 is complete
        for (String line; (line = out.readLine()) != null; ) {
          lines.add(line);
          if (line.startsWith("step 5/")) break;
        }
        p.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of its output)
        for (String line; (line = out.readLine()) != null; ) lines.add(line);
        p.waitFor();
      }, () -> String.join("\n", lines));
    } finally {
      p.destroyForcibly();
    }
    String output = String.join("\n", lines);
    String latest = narrow.train.CheckpointStore.local(run).latest();
    assertNotNull(latest, output);
    assertTrue(Files.exists(Path.of(latest, CompleteFolder.MARKER)));
    assertTrue(output.contains("narrow train: stopped; newest complete checkpoint: " + latest + ". Continue with:\n"
        + "  jobs/narrow train " + conf + " --set model.seed=7 --resume"), output);
    assertNotEquals(0, p.exitValue());
    System.out.println(output.substring(output.lastIndexOf("narrow train: stopped")));
  }

  /** The command printed: the same arguments, any --resume X or --overwrite replaced by --resume. */
  @Test
  void theContinuingCommandResumesTheNewestCheckpoint() {
    assertEquals(List.of("train", "c.yaml", "--set", "a=b", "--resume"), InterruptNotice.continuing(
        List.of("train", "c.yaml", "--resume", "/x/checkpoint-2", "--set", "a=b"), "/x/checkpoint-2"));
    assertEquals(List.of("train", "c.yaml", "--run", "r", "--resume"), InterruptNotice.continuing(
        List.of("train", "--resume=/x/checkpoint-2", "c.yaml", "--run", "r"), "/x/checkpoint-2"));
    assertEquals(List.of("train", "c.yaml", "--resume"), InterruptNotice.continuing(
        List.of("train", "--overwrite", "c.yaml"), null));
    assertEquals(List.of("train", "--resume"), InterruptNotice.continuing(List.of("train", "--resume"), "latest"));
  }
}
