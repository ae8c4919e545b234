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
import java.util.List;
import narrow.bench.BenchCommand;
import narrow.bench.NativeAllocator;
import narrow.bench.TrainBenchOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as a user drives it: real local Spark, real files, a tiny model. Each command
 * starts and stops its own Spark session, as it does under jobs/narrow.
 */
@narrow.Slow
class CliTest {
  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  /** Runs the command line in this JVM, capturing what it prints. */
  static synchronized Run narrow(String... args) {
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
    for (String c : new String[] {"quickstart", "ingest", "tokenize", "train", "prune", "run", "metrics", "report",
        "config", "bench", "help"}) {
      assertTrue(java.util.regex.Pattern.compile("(?m)^  " + c + " ").matcher(r.out()).find(),
          "--help lists " + c + ":\n" + r.out());
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
  void configPrintsTheTrainingArgumentsWithHuggingFacesDefaults() throws IOException {
    Path conf = dir.resolve("exp.yaml");
    Files.writeString(conf, "experiment: x\ndata: {input: " + dir + ", output: out, seq_len: 64}\n"
        + "model: {preset: d16_l1_h2}\ntrain: {output_dir: experiments, learning_rate: 1.0e-3}\n");
    Run r = narrow("config", conf.toString(), "--set", "train.max_steps=7");
    assertEquals(0, r.exit(), r.err());
    for (String line : new String[] {
        "learning_rate: 0.001", "max_steps: 7",                       // the file's, and --set's
        "adam_beta2: 0.999", "lr_scheduler_type: \"linear\"", "optim: \"adamw_torch\"",
        "per_device_train_batch_size: 8", "max_grad_norm: 1.0",         // Hugging Face's defaults
        "max_length: 64",                                               // from data.seq_len
        "output_dir: \"experiments\"", "layout: \"pack\""}) {          // as a config file spells them
      assertTrue(r.out().contains("\n  " + line + "\n"), line + " in:\n" + r.out());
    }

    Run grid = narrow("config", "conf/trainscratch01.yaml", "--run", "d256_l4_h4");
    assertEquals(0, grid.exit(), grid.err());
    assertTrue(grid.out().contains("\n  per_device_train_batch_size: 16\n")
        && grid.out().contains("\n  preset: \"d256_l4_h4\"\n"), grid.out());
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
  void eachBenchTakesItsOwnOptionsRightAfterItsName() throws IOException {
    Path docs = Files.createDirectories(dir.resolve("docs"));
    Files.writeString(docs.resolve("a.py"), "def f(x):\n    return x + 1  # héllo\n");
    // the whole benchmark, made short: one round of one pass of each encoder
    Run tokenizer = narrow("bench", "tokenizer", "--seconds=0", "--rounds", "1", docs.toString());
    assertEquals(0, tokenizer.exit(), tokenizer.err());
    assertTrue(tokenizer.out().contains("1 documents") && tokenizer.out().contains("median of 1 rounds of 0 s")
        && tokenizer.out().contains("ratio"), tokenizer.out());

    // the others parse without running: their options land where they belong
    CommandLine.ParseResult job = Main.commandLine()
        .parseArgs("bench", "tokenize-job", "--encoder=oracle", "--repeats", "3", docs.toString());
    BenchCommand.TokenizeJob parsed = (BenchCommand.TokenizeJob) job.subcommand().subcommand().commandSpec().userObject();
    assertEquals(List.of("oracle", 3, 1, docs.toString()),
        List.of(parsed.encoder, parsed.repeats, parsed.copies, parsed.source));
    CommandLine.ParseResult train = Main.commandLine()
        .parseArgs("bench", "train", "--preset=d16_l1_h2", "--steps=3", "--seq", "32", "--allocators=glibc,system");
    TrainBenchOptions options =
        ((BenchCommand.Train) train.subcommand().subcommand().commandSpec().userObject()).options();
    assertEquals(List.of(new TrainBenchOptions.BenchConfig("d16_l1_h2", 4, 32, 3, 3)), options.configs());
    assertEquals(List.of("glibc", "system"), options.allocators().stream().map(NativeAllocator::name).toList());
    assertEquals(TrainBenchOptions.ALL_SIDES, options.sides());
  }

  /** bench train parses as the other benchmarks do: --options, shown by --help, mistakes one line and exit code 2. */
  @Test
  void benchTrainTakesOptionsAndRefusesMistakesInOneLine() {
    Run help = narrow("bench", "train", "--help");
    assertEquals(0, help.exit(), help.err());
    for (String option : new String[] {"--config", "--sides", "--growth-steps", "--allocators", "--worker-heap"}) {
      assertTrue(help.out().contains(option), option + " in:\n" + help.out());
    }
    Run side = narrow("bench", "train", "--sides=narrow-f32,torch-f64");
    assertEquals(2, side.exit(), side.err());
    assertTrue(side.err().contains("--sides: unknown side 'torch-f64'"), side.err());
    assertFalse(side.err().contains("\tat "), "no stack trace for a user error:\n" + side.err());
    Run config = narrow("bench", "train", "--config", "d16_l1_h2:4");
    assertEquals(2, config.exit(), config.err());
    assertTrue(config.err().contains("--config 'd16_l1_h2:4': '4' is not AxB"), config.err());
    Run allocator = narrow("bench", "train", "--allocators", "tcmalloc");
    assertEquals(2, allocator.exit(), allocator.err());
    assertTrue(allocator.err().contains("--allocators: unknown allocator 'tcmalloc'"), allocator.err());
    Run oldForm = narrow("bench", "train", "steps=3");
    assertEquals(2, oldForm.exit(), oldForm.err());
    assertTrue(oldForm.err().contains("steps=3"), oldForm.err());
  }

  @Test
  void benchHelpNamesTheBenchmarksAndEachOneItsOptions() {
    Run bench = narrow("bench", "--help");
    assertEquals(0, bench.exit());
    for (String b : new String[] {"tokenizer", "tokenize-job", "train", "prune"}) {
      assertTrue(bench.out().contains(b), bench.out());
    }
    Run prune = narrow("bench", "prune", "--help");
    assertTrue(prune.out().contains("--mask-model=MODEL") && prune.out().contains("--rounds"), prune.out());
    Run nothing = narrow("bench", "prune", "--rounds", "0", "--mask-rounds=0");
    assertEquals(2, nothing.exit(), nothing.err());
    assertTrue(nothing.err().contains("leave nothing to measure"), nothing.err());
    Run noDisk = narrow("bench", "prune", "--rounds", "0", "--mask-model", "d64_l2_h2", "--dir",
        dir.resolve("nope").toString());
    assertEquals(2, noDisk.exit(), noDisk.err());
    assertTrue(noDisk.err().contains("not a writable folder"), noDisk.err());
    Run tokenizer = narrow("bench", "tokenizer", "--help");
    assertTrue(tokenizer.out().contains("--seconds=N") && tokenizer.out().contains("--rounds=N"), tokenizer.out());
    Run job = narrow("bench", "tokenize-job", "--help");
    assertTrue(job.out().contains("--encoder") && job.out().contains("--repeats=N"), job.out());
    Run unknown = narrow("bench", "tokenizr");
    assertEquals(2, unknown.exit());
    assertTrue(unknown.err().contains("tokenizr"), unknown.err());
    Run noFile = narrow("bench", "tokenizer", "--seconds=1", dir.resolve("nope").toString());
    assertEquals(2, noFile.exit(), noFile.err());
    assertTrue(noFile.err().contains("no such file or folder"), noFile.err());
  }

  @Test
  void ingestTokenizeTrainEndToEnd() throws IOException {
    Path src = TinyPythonTree.write(dir.resolve("src"), 12).resolve("repo/pkg");
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

    // the same run as two data-parallel replicas (Spark barrier tasks on local[2]) of half the
    // batch: the same global batches, so the same losses
    Path sparkConf = Files.writeString(dir.resolve("local2.conf"), "spark.master local[2]\n"
        + "spark.ui.enabled false\nspark.driver.host 127.0.0.1\nspark.driver.bindAddress 127.0.0.1\n");
    Run replicated = narrow("train", conf.toString(), "--spark-conf", sparkConf.toString(),
        "--set", "distributed.replicas=2", "--set", "train.per_device_train_batch_size=1",
        "--set", "train.output_dir=" + dir.resolve("replicated"));
    assertEquals(0, replicated.exit(), replicated.err());
    JsonNode twoState = new ObjectMapper().readTree(
        dir.resolve("replicated/d16_l1_h2/final_model/trainer_state.json").toFile());
    JsonNode oneState = new ObjectMapper().readTree(run.resolve("final_model/trainer_state.json").toFile());
    List<Double> want = new java.util.ArrayList<>();
    List<Double> got = new java.util.ArrayList<>();
    oneState.get("log_history").forEach(e -> { if (e.has("loss")) want.add(e.get("loss").asDouble()); });
    twoState.get("log_history").forEach(e -> { if (e.has("loss")) got.add(e.get("loss").asDouble()); });
    assertEquals(4, want.size());
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) assertEquals(want.get(i), got.get(i), 1e-5 * want.get(i), "loss " + i);

    Run tooMany = narrow("train", conf.toString(), "--spark-conf", sparkConf.toString(),
        "--set", "distributed.replicas=3", "--set", "train.output_dir=" + dir.resolve("tooMany"));
    assertEquals(2, tooMany.exit(), tooMany.err());
    assertTrue(tooMany.err().contains("needs 3 task slots"), tooMany.err());
    assertFalse(Files.exists(dir.resolve("tooMany/d16_l1_h2")), "no run folder for a run that did not start");
  }

  /**
   * One run per folder: the same command again is refused and changes nothing; {@code --resume}
   * continues it (removing what a killed save left, and saying so); {@code --overwrite} replaces
   * it whole, so no file of the old run survives.
   */
  @Test
  void aSecondRunIntoTheSameFolderIsRefusedUnlessResumedOrOverwritten() throws IOException {
    Path data = narrow.train.TestShardsAccess.learnable(dir.resolve("data"), 318, 318, 24, true, 32, 6, 1);
    Path conf = Files.writeString(dir.resolve("exp.yaml"), """
        experiment: clitest
        data: {input: %s, output: %s, seq_len: 24}
        model: {preset: d16_l1_h2, seed: 7}
        train: {output_dir: %s, learning_rate: 1.0e-3, max_steps: 2, per_device_train_batch_size: 2,
                eval_steps: 0, save_steps: 2, bf16: false}
        """.formatted(dir, data, dir.resolve("experiments")));
    Path run = dir.resolve("experiments/d16_l1_h2");
    Run first = narrow("train", conf.toString());
    assertEquals(0, first.exit(), first.err());
    byte[] finalWeights = Files.readAllBytes(run.resolve("final_model/model.safetensors"));

    Run again = narrow("train", conf.toString(), "--set", "train.max_steps=4", "--set", "model.seed=8");
    assertEquals(2, again.exit(), again.err());
    assertTrue(again.err().contains("narrow train: " + run + " already holds a run (checkpoint-2, final_model, "
        + "model_stats.json): continue it with --resume, or replace it with --overwrite (deletes everything in "
        + "that folder)\n"), again.err());
    assertArrayEquals(finalWeights, Files.readAllBytes(run.resolve("final_model/model.safetensors")));
    assertEquals(List.of("checkpoint-2", "final_model", "model_stats.json"), names(run));

    Path leftover = Files.createDirectories(run.resolve(".tmp-checkpoint-4-123"));
    Files.writeString(leftover.resolve("config.json"), "{");
    Run resumed = narrow("train", conf.toString(), "--set", "train.max_steps=4", "--resume");
    assertEquals(0, resumed.exit(), resumed.err());
    assertTrue(resumed.err().contains("narrow train: removed " + leftover
        + " (a save cut short by a kill or Ctrl-C; never complete)"), resumed.err());
    assertEquals(List.of("checkpoint-2", "checkpoint-4", "final_model", "model_stats.json"), names(run));
    assertTrue(resumed.err().contains("narrow train: resuming from " + run.resolve("checkpoint-2")), resumed.err());

    // a checkpoint resumed under another model or other numbers is refused before anything is written
    byte[] stats = Files.readAllBytes(run.resolve("model_stats.json"));
    Run mismatch = narrow("train", conf.toString(), "--set", "train.max_steps=6",
        "--resume", run.resolve("checkpoint-4").toString(), "--set", "model.preset=d32_l1_h2", "--set", "train.learning_rate=2.0e-3", "--set", "train.bf16=true");
    assertEquals(2, mismatch.exit(), mismatch.err());
    assertTrue(mismatch.err().contains("narrow train: cannot resume from " + run.resolve("checkpoint-4")
        + ": it was trained with other settings than this run's: hidden_size 16 in the checkpoint, 32 in "
        + "model.preset d32_l1_h2; intermediate_size 64 in the checkpoint, 128 in model.preset d32_l1_h2; "
        + "head_dim 8 in the checkpoint, 16 in model.preset d32_l1_h2; learning_rate 0.001 in the checkpoint, "
        + "0.002 in train.learning_rate; bf16 false in the checkpoint, true in train.bf16. Resume with the "
        + "settings the run was started with, or start it again with --overwrite"), mismatch.err());
    assertArrayEquals(stats, Files.readAllBytes(run.resolve("model_stats.json")));
    assertFalse(Files.exists(dir.resolve("experiments/d32_l1_h2")), "no folder for the run that did not start");
    assertEquals(List.of("checkpoint-2", "checkpoint-4", "final_model", "model_stats.json"), names(run));

    Run early = narrow("train", conf.toString(), "--set", "train.output_dir=" + dir.resolve("early"),
        "--set", "train.skip_train_rows=1000");
    assertEquals(2, early.exit(), early.err());
    assertTrue(early.err().contains("rows"), early.err());
    assertFalse(Files.exists(dir.resolve("early/d16_l1_h2")), "a run that fails before its first step leaves no folder");

    Run both = narrow("train", conf.toString(), "--resume", "--overwrite");
    assertEquals(2, both.exit(), both.err());
    assertTrue(both.err().contains("--resume and --overwrite exclude each other"), both.err());

    Run replaced = narrow("train", conf.toString(), "--overwrite");
    assertEquals(0, replaced.exit(), replaced.err());
    assertTrue(replaced.err().contains("narrow train: --overwrite: deleted the run in " + run
        + " (checkpoint-2, checkpoint-4, final_model, model_stats.json)"), replaced.err());
    assertEquals(List.of("checkpoint-2", "final_model", "model_stats.json"), names(run), "no file of the old run");
    assertArrayEquals(finalWeights, Files.readAllBytes(run.resolve("final_model/model.safetensors")),
        "the same run from step 0");
  }

  static List<String> names(Path folder) throws IOException {
    try (var s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
