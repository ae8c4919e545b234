package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main command, end to end and made small: corpus, tokenize, every experiment of
 * conf/quickstart/ through the runner into the study's tree, whose layout, files, tables and
 * notebook are checked ({@link StudyLayout}); then the same command again into the same folders.
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
          "--set", "train.warmup_steps=1", "--set", "data.validation_fraction=0.25"};
      CliTest.Run first = CliTest.narrow(args);
      assertEquals(0, first.exit(), first.err());
      for (String step : new String[] {"== quickstart 1/5", "== quickstart 2/5", "== quickstart 3/5 trainscratch01",
          "== quickstart 4/5 distillscratch00", "== quickstart 4/5 pruneandtrain01", "== quickstart 4/5 pruneandtrainrandom00",
          "== quickstart 4/5 tuneprune15-redo", "== quickstart 4/5 pruneandtrainnorm00", "== quickstart 5/5",
          "train: d64_l2_h2 loss", "distill: d32_l2_h2 after 4 steps", "sparsity: median neuron norm", "prune (n0.50_r0.20)",
          "metrics tables rebuilt", "report: ", "notebook:"}) {
        assertTrue(first.out().contains(step), step + " in:\n" + first.out());
      }
      for (String method : new String[] {"attribution", "random", "norm"}) {
        assertTrue(first.out().lines().anyMatch(l -> l.matches("\\s+" + method + "\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+.*")),
            method + " row in:\n" + first.out());
      }
      Path study = home.resolve("runs/quickstart/study");
      StudyLayout.check(study);

      CliTest.Run again = CliTest.narrow(args);
      assertEquals(0, again.exit(), "the quickstart replaces its own outputs:\n" + again.err());
      assertTrue(again.out().contains("prune (n0.50_r0.20)"), again.out());
      StudyLayout.check(study);
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
