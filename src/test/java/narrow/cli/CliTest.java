package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as a user drives it: real local Spark, real files, a tiny model. Each command
 * starts and stops its own Spark session, as it does under jobs/narrow.
 */
class CliTest {
  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  private static synchronized Run narrow(String... args) {
    PrintStream oldOut = System.out, oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int exit = Main.run(args);
      return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void helpListsTheCommands() {
    Run r = narrow("--help");
    assertEquals(0, r.exit());
    for (String c : new String[] {"quickstart", "ingest", "tokenize", "train", "config", "bench"}) {
      assertTrue(r.out().contains(c), "--help lists " + c + ":\n" + r.out());
    }
  }

  @Test
  void aBadConfigIsOneClearLineAndExitCode2() throws IOException {
    Path conf = dir.resolve("bad.yaml");
    Files.writeString(conf, "experiment: x\ndata: {input: " + dir + ", output: o, seq_lenn: 3}\n");
    Run r = narrow("tokenize", conf.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains(conf + ": unknown key 'data.seq_lenn'"), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace for a user error:\n" + r.err());
  }

  @Test
  void aMissingSparkPropertiesFileIsAUserError() throws IOException {
    Path conf = dir.resolve("exp.yaml");
    Files.writeString(conf, "experiment: x\ndata: {input: " + dir + ", output: " + dir.resolve("out") + "}\n");
    Path missing = dir.resolve("nope.conf");
    Run r = narrow("tokenize", conf.toString(), "--spark-conf", missing.toString());
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("Spark properties file not found: " + missing), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace for a user error:\n" + r.err());
  }

  @Test
  void ingestTokenizeTrainEndToEnd() throws IOException {
    Path src = Files.createDirectories(dir.resolve("src/repo/pkg"));
    for (int i = 0; i < 12; i++) {
      Files.writeString(src.resolve("m" + i + ".py"), """
          import os


          def f%d(x, y=%d):
              \"\"\"Add things; héllo wörld.\"\"\"
              return x + y * %d  # comment

          class C%d:
              pass
          """.formatted(i, i, i, i));
    }
    Files.writeString(src.resolve("README.md"), "# not python\n");
    Path corpus = dir.resolve("corpus");
    Run ingest = narrow("ingest", "--from", dir.resolve("src").toString(), "--out", corpus.toString());
    assertEquals(0, ingest.exit(), ingest.err());
    assertTrue(ingest.out().contains("ingest: 13 files"), ingest.out());

    Path conf = dir.resolve("exp.yaml");
    Files.writeString(conf, """
        experiment: clitest
        data: {input: %s, output: %s, seq_len: 32, validation_fraction: 0.2}
        model: {preset: d16_l1_h2, seed: 7}
        train:
          output_dir: %s
          learning_rate: 1.0e-3
          max_steps: 4
          per_device_train_batch_size: 2
          logging_steps: 1
          eval_steps: 2
          save_steps: 2
          save_total_limit: 1
        """.formatted(corpus, dir.resolve("tokenized"), dir.resolve("experiments")));
    Run tokenize = narrow("tokenize", conf.toString());
    assertEquals(0, tokenize.exit(), tokenize.err());
    assertTrue(Files.exists(dir.resolve("tokenized/_SUCCESS")));
    assertTrue(Files.exists(dir.resolve("tokenized/manifest.json")));

    Run again = narrow("tokenize", conf.toString());
    assertEquals(2, again.exit(), "an existing output is not overwritten unless asked");
    assertTrue(again.err().contains("tokenized"), again.err());

    Run train = narrow("train", conf.toString());
    assertEquals(0, train.exit(), train.err());
    Path run = dir.resolve("experiments/d16_l1_h2");
    assertTrue(Files.exists(run.resolve("model_stats.json")));
    assertFalse(Files.exists(run.resolve("checkpoint-2")), "save_total_limit 1 keeps the newest only");
    for (String f : new String[] {"model.safetensors", "config.json", "tokenizer.json",
        "trainer_state.json", "training_args.bin"}) {
      assertTrue(Files.exists(run.resolve("checkpoint-4").resolve(f)), f);
    }
    JsonNode state = new ObjectMapper().readTree(run.resolve("checkpoint-4/trainer_state.json").toFile());
    assertEquals(4, state.get("global_step").asInt());
    assertTrue(state.get("log_history").size() >= 4);
    assertTrue(Files.exists(run.resolve("final_model/model.safetensors")));
  }
}
