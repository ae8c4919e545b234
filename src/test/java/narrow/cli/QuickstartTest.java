package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import narrow.util.CompleteFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main command, end to end and made small: corpus, tokenize, train, prune by
 * attribution and at random, recover; then the same command again into the same folders.
 */
@narrow.Slow
class QuickstartTest {
  @TempDir Path home;

  @Test
  void theQuickstartRunsEndToEndAndAgain() throws Exception {
    copyTree(Path.of("conf"), home.resolve("conf"));
    Path source = Files.createDirectories(home.resolve("source/repo/pkg"));
    for (int i = 0; i < 160; i++) { // enough rows for 64 attribution samples and recovery beyond them
      Files.writeString(source.resolve("mod" + i + ".py"), ("def f" + i + "(x):\n    return x * " + i + " + 1\n\n"
          + "class C" + i + ":\n    def g(self, y):\n        return [y] * " + (i % 7) + "\n\n").repeat(4));
    }
    String before = System.getProperty("narrow.home");
    System.setProperty("narrow.home", home.toString());
    try {
      String[] args = {"quickstart", "--from", home.resolve("source").toString(), "--set", "train.max_steps=4",
          "--set", "train.logging_steps=2", "--set", "train.eval_steps=2", "--set", "train.save_steps=2",
          "--set", "train.warmup_steps=1", "--set", "data.validation_fraction=0.25", "--sparsity-steps", "4", "--distill-steps", "4"};
      CliTest.Run first = CliTest.narrow(args);
      assertEquals(0, first.exit(), first.err());
      for (String step : new String[] {"== quickstart 1/6", "== quickstart 2/6", "== quickstart 3/6",
          "== quickstart 4/6", "== quickstart 5/6", "== quickstart 6/6", "train: 4 steps", "distill: d32_l2_h2",
          "sparsity: median neuron norm", "prune: eval_loss"}) {
        assertTrue(first.out().contains(step), step + " in:\n" + first.out());
      }
      assertTrue(first.out().lines().anyMatch(l -> l.matches("\\s+attribution\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+")),
          first.out());
      assertTrue(first.out().lines().anyMatch(l -> l.matches("\\s+random\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+")),
          first.out());
      assertTrue(first.out().lines().anyMatch(l -> l.matches("\\s+norm\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+ .*")),
          first.out());
      Path runs = home.resolve("runs/quickstart");
      for (String complete : new String[] {"tokenized", "train/d64_l2_h2/final_model",
          "prune/attribution/final_model", "prune/random/final_model", "sparsity/final_model",
          "distill/scratch/final_model", "distill/distilled/final_model",
          "prune/norm/final_model"}) {
        assertTrue(Files.exists(runs.resolve(complete).resolve(CompleteFolder.MARKER)), complete + " is complete");
      }
      for (String file : new String[] {"train/d64_l2_h2/model_stats.json", "prune/attribution/pruning_mask.pt",
          "prune/random/pruning_stats.json", "prune/random/experiment_metadata.json",
          "sparsity/experiment_metadata.json", "prune/norm/pruning_stats.json"}) {
        assertTrue(Files.isRegularFile(runs.resolve(file)), file);
      }

      CliTest.Run again = CliTest.narrow(args);
      assertEquals(0, again.exit(), "the quickstart replaces its own outputs:\n" + again.err());
      assertTrue(again.out().contains("prune: eval_loss"), again.out());
    } finally {
      if (before == null) System.clearProperty("narrow.home");
      else System.setProperty("narrow.home", before);
    }
  }

  private static void copyTree(Path from, Path to) throws Exception {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) Files.createDirectories(target);
        else Files.copy(f, target);
      }
    }
  }
}
