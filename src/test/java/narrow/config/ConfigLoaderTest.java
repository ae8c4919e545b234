package narrow.config;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import narrow.train.ModelSource;
import narrow.data.TokenizeSettings;
import narrow.data.TokenizeSettings.Layout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  private Path write(String yaml) throws IOException {
    Path corpus = Files.createDirectories(dir.resolve("corpus"));
    Path file = dir.resolve("exp.yaml");
    Files.writeString(file, yaml.replace("$CORPUS", corpus.toString()));
    return file;
  }

  private ConfigException fails(Path file, String... overrides) {
    return assertThrows(ConfigException.class, () -> ConfigLoader.load(file, List.of(overrides)));
  }

  @Test
  void sharedFilesystemIsOffUnlessSet() throws IOException {
    Path file = write("experiment: demo\ndata: {input: $CORPUS, output: t}\n");
    assertFalse(ConfigLoader.load(file, List.of()).distributed().sharedFilesystem());
    assertTrue(ConfigLoader.load(file, List.of("distributed.shared_filesystem=true")).distributed().sharedFilesystem());
  }

  @Test
  void readsValuesAndFillsDefaults() throws IOException {
    Path file = write("""
        experiment: demo
        data:
          input: $CORPUS
          output: out/tokenized
          layout: truncate
        """);
    TokenizeSettings data = ConfigLoader.load(file, List.of()).data();
    assertEquals(Layout.TRUNCATE, data.layout());
    assertEquals(1024, data.seqLen());
    assertEquals(List.of("Python"), data.languages());
    assertEquals(TokenizeSettings.Encoder.FAST, data.encoder());
    assertFalse(data.overwrite());
  }

  @Test
  void commandLineOverridesWinOverTheFile() throws IOException {
    Path file = write("""
        experiment: demo
        data: {input: $CORPUS, output: out, seq_len: 1024}
        """);
    TokenizeSettings data = ConfigLoader.load(file,
        List.of("data.seq_len=512", "data.languages=[Python, C]", "data.overwrite=true")).data();
    assertEquals(512, data.seqLen());
    assertEquals(List.of("Python", "C"), data.languages());
    assertTrue(data.overwrite());
  }

  @Test
  void unknownKeyIsNamedWithTheFile() throws IOException {
    Path file = write("""
        experiment: demo
        data: {input: $CORPUS, output: out, seqlen: 512}
        """);
    ConfigException e = fails(file);
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("unknown key 'data.seqlen'"), e.getMessage());
    assertTrue(e.getMessage().contains("seq_len"), "lists the known keys: " + e.getMessage());
  }

  @Test
  void unknownKeyFromTheCommandLineToo() throws IOException {
    Path file = write("experiment: demo\ndata: {input: $CORPUS, output: out}\n");
    assertTrue(fails(file, "data.sequence=3").getMessage().contains("'data.sequence'"));
  }

  @Test
  void missingInputPathIsAnErrorForTheTokenizeJobOnly() throws IOException {
    Path file = write("experiment: demo\ndata: {input: /no/such/corpus, output: out}\n");
    ExperimentConfig c = ConfigLoader.load(file, List.of()); // training reads data.output, never data.input
    ConfigException e = assertThrows(ConfigException.class, () -> c.requireCorpus(file));
    assertTrue(e.getMessage().contains("key 'data.input': path does not exist: /no/such/corpus"), e.getMessage());
    Path none = write("experiment: demo\ndata: {output: out}\n");
    ConfigException absent = assertThrows(ConfigException.class, () -> ConfigLoader.load(none, List.of()).requireCorpus(none));
    assertTrue(absent.getMessage().contains("data.input"), absent.getMessage());
  }

  @Test
  void remoteInputIsLeftToTheJob() throws IOException {
    Path file = write("experiment: demo\ndata: {input: 's3a://bucket/corpus', output: 's3a://bucket/out'}\n");
    assertEquals("s3a://bucket/corpus", ConfigLoader.load(file, List.of()).data().input());
  }

  @Test
  void negativeSizesAndUnknownLanguagesAreAllReportedAtOnce() throws IOException {
    Path file = write("""
        experiment: demo
        data:
          input: $CORPUS
          output: out
          seq_len: -4
          rows_per_shard: -1
          languages: [Python, Klingon]
          encoder: turbo
        """);
    String m = fails(file).getMessage();
    assertTrue(m.contains("key 'data.seq_len': must be at least 2 (an input and a label), got -4"), m);
    assertTrue(m.contains("key 'data.rows_per_shard'"), m);
    assertTrue(m.contains("unknown language 'Klingon'"), m);
    assertTrue(m.contains("key 'data.encoder'"), m);
  }

  @Test
  void wrongTypeAndBadEnumNameTheKey() throws IOException {
    Path file = write("experiment: demo\ndata: {input: $CORPUS, output: out, seq_len: long}\n");
    assertTrue(fails(file).getMessage().contains("key 'data.seq_len'"));
    Path layout = write("experiment: demo\ndata: {input: $CORPUS, output: out, layout: spiral}\n");
    String m = fails(layout).getMessage();
    assertTrue(m.contains("key 'data.layout'") && m.contains("pack, truncate"), m);
  }

  @Test
  void missingFileAndBrokenYaml() throws IOException {
    assertTrue(fails(dir.resolve("nope.yaml")).getMessage().contains("no such config file"));
    Path broken = dir.resolve("broken.yaml");
    Files.writeString(broken, "experiment: [unclosed\n");
    assertTrue(fails(broken).getMessage().contains("not valid YAML"));
  }

  @Test
  void malformedOverride() throws IOException {
    Path file = write("experiment: demo\ndata: {input: $CORPUS, output: out}\n");
    assertTrue(fails(file, "data.seq_len").getMessage().contains("expected key=value"));
  }

  @Test
  void shippedConfigsAreValid() {
    // every file under conf/ must load as it is shipped (inputs may not exist yet: checked by jobs)
    for (String name : List.of("quickstart", "trainscratch01")) {
      Path file = Path.of("conf", name + ".yaml");
      ExperimentConfig c = ConfigLoader.load(file, List.of("data.input=" + dir));
      assertEquals(name, c.experiment());
    }
  }

  /**
   * Local paths of a run are qualified against the working folder when the config is loaded:
   * executors run in folders of their own, where a relative path would name another place.
   */
  @Test
  void relativeLocalPathsBecomeAbsoluteRemoteOnesStayAsWritten() throws IOException {
    Path file = write("experiment: demo\ndata: {input: $CORPUS, output: shards/x}\n"
        + "model: {pretrained: src}\ntrain: {output_dir: runs/demo}\ndistill: {teacher: src/../src}\n");
    TrainingPlan plan = TrainingPlan.of(ConfigLoader.load(file, List.of()), file);
    Path here = Path.of("").toAbsolutePath();
    assertEquals(here.resolve("shards/x").toString(), plan.dataset());
    assertEquals(here.resolve("runs/demo/src").toString(), plan.args().outputDir(), "the run folder under output_dir");
    assertEquals(new ModelSource.Pretrained(here.resolve("src").toString()), plan.model());
    assertEquals(here.resolve("src").toString(), plan.distill().teacher());
    TrainingPlan remote = TrainingPlan.of(ConfigLoader.load(file, List.of("data.output=s3a://b/shards",
        "train.output_dir=s3a://b/runs")), file);
    assertEquals("s3a://b/shards", remote.dataset());
    assertEquals("s3a://b/runs/src", remote.args().outputDir());
  }

  /** tuneprune15-redo: each λ of the grid is its run's penalty weight, the study's penalty by default. */
  @Test
  void theGroupSparsityConfigBindsEachLambda() {
    Path file = Path.of("conf", "tuneprune15-redo.yaml");
    // the base model's folder is the user's to fetch: any existing folder stands in
    TrainingPlan plan = TrainingPlan.of(ConfigLoader.load(file, "lambda_0.001_bs_18_acc_6",
        List.of("model.pretrained=" + dir)), file);
    assertEquals(narrow.sparsity.Penalty.L1_OF_L2_OF_MLPS, plan.sparsity().penalty());
    assertEquals(0.001, plan.sparsity().lambda().initial(), 0);
    assertEquals(18, plan.args().perDeviceTrainBatchSize());
    assertEquals(6, plan.args().gradientAccumulationSteps());
    assertTrue(plan.args().outputDir().endsWith("tuneprune15-redo/lambda_0.001_bs_18_acc_6"), plan.args().outputDir());
  }

  /** distillscratch00: each (student, teacher) pair of the grid, the study's loss weights. */
  @Test
  void theDistillationConfigBindsEachPair() {
    Path file = Path.of("conf", "distillscratch00.yaml");
    ExperimentConfig c = ConfigLoader.load(file, "d512_l8_h8_llama3.1-8b", List.of("distill.teacher=" + dir));
    TrainingPlan plan = TrainingPlan.of(c, file);
    assertEquals(18, c.runs().size());
    assertEquals(2.0, plan.distill().temperature(), 0);
    assertEquals(0.5, plan.distill().alpha(), 0);
    assertEquals(0.999, plan.distill().smoothing(), 0);
    assertEquals(dir.toAbsolutePath().toString(), plan.distill().teacher());
    assertEquals(new ModelSource.Preset("d512_l8_h8", 42), plan.model());
    assertEquals(16, plan.args().perDeviceTrainBatchSize());
    assertTrue(plan.args().outputDir().endsWith("distillscratch00/d512_l8_h8_llama3.1-8b"), plan.args().outputDir());
    Map<String, Object> run = c.runs().get("d2048_l32_h32_llama3.2-3b");
    assertEquals("models/Llama-3.2-3B", run.get("distill.teacher"));
  }

  @Test
  void badSparsitySettingsAreNamedTogether() throws IOException {
    Path file = write("experiment: demo\ndata: {input: $CORPUS, output: out}\n"
        + "sparsity: {penalty: l2_of_everything, smoothing: 1.5, adjust_steps: 0}\n");
    String m = fails(file).getMessage();
    assertTrue(m.contains("sparsity.penalty") && m.contains("l1_of_l2_of_mlps") && m.contains("group_hoyer_neurons"), m);
    assertTrue(m.contains("sparsity.lambda") && m.contains("sparsity.smoothing") && m.contains("sparsity.adjust_steps"), m);
  }

  /**
   * The study's file keeps its shards and its tree (output_root) on s3a://: a run lands in the tree,
   * and --set output_root moves it (as the cluster wrappers do), locally too.
   */
  @Test
  void theShippedStudyConfigPlansTrainingOnS3aShardsIntoTheStudysTree() {
    Path file = Path.of("conf", "trainscratch01.yaml");
    TrainingPlan plan = TrainingPlan.of(ConfigLoader.load(file, "d256_l4_h4", List.of()), file);
    assertEquals("s3a://my-bucket/narrow/python-llama31-1024", plan.dataset());
    assertEquals("s3a://my-bucket/narrow/study/trainscratch01/d256_l4_h4", plan.args().outputDir());
    TrainingPlan moved = TrainingPlan.of(ConfigLoader.load(file, "d256_l4_h4",
        List.of("output_root=s3a://other-bucket/study/")), file);
    assertEquals("s3a://other-bucket/study/trainscratch01/d256_l4_h4", moved.args().outputDir());
    TrainingPlan local = TrainingPlan.of(ConfigLoader.load(file, "d256_l4_h4", List.of("output_root=study")), file);
    assertEquals(Path.of("study", "trainscratch01", "d256_l4_h4").toAbsolutePath().toString(),
        local.args().outputDir());
  }

  /** Every shipped study config puts its runs in the one tree, under its experiment's name. */
  @Test
  void theStudysConfigsShareOneOutputRoot() {
    for (String name : List.of("trainscratch01", "pruneandtrain01", "pruneandtrainrandom00", "tuneprune15-redo",
        "distillscratch00")) {
      // the base models' folders are the user's to fetch: any existing folder stands in
      List<String> models = switch (name) {
        case "trainscratch01" -> List.of();
        case "distillscratch00" -> List.of("distill.teacher=" + dir);
        default -> List.of("model.pretrained=" + dir);
      };
      Path file = Path.of("conf", name + ".yaml");
      ExperimentConfig c = ConfigLoader.load(file, ConfigLoader.runNames(file).get(0), models);
      assertEquals("s3a://my-bucket/narrow/study", c.outputRoot(), name);
      assertEquals("s3a://my-bucket/narrow/study/" + name, c.outputDir(), name);
    }
  }

  @Test
  void aRunOfTheGridAppliesItsOverridesAndTheCommandLineStillWins() {
    Path file = Path.of("conf", "trainscratch01.yaml");
    ExperimentConfig c = ConfigLoader.load(file, "d768_l12_h12",
        List.of("train.gradient_accumulation_steps=2"));
    assertEquals("d768_l12_h12", c.model().preset());
    assertEquals("d768_l12_h12", c.runName());
    assertEquals(16, c.train().get("per_device_train_batch_size"));
    assertEquals(2, c.train().get("gradient_accumulation_steps"));
    assertEquals(9, c.runs().size());
  }

  @Test
  void anUnknownRunListsTheGrid() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(Path.of("conf", "trainscratch01.yaml"), "d7_l1_h1", List.of()));
    assertTrue(e.getMessage().contains("no run 'd7_l1_h1'") && e.getMessage().contains("d2048_l32_h32"),
        e.getMessage());
  }

  /** The train: section is checked on load, whatever the command: config and tokenize too. */
  @Test
  void badTrainingArgumentsAreFoundOnLoad() throws IOException {
    Path file = write("experiment: demo\ndata: {input: $CORPUS, output: out}\n"
        + "train: {output_dir: runs, lerning_rate: 1.0, max_steps: many}\n");
    String message = fails(file).getMessage();
    assertTrue(message.contains("key 'train.lerning_rate': not a training argument"), message);
    Path typed = write("experiment: demo\ndata: {input: $CORPUS, output: out}\ntrain: {output_dir: runs, max_steps: many}\n");
    assertTrue(fails(typed).getMessage().contains("key 'train.max_steps': 'many' is not an integer"),
        fails(typed).getMessage());
  }

  /** Like data:, the train: section shows every problem at once, not one per run of the command. */
  @Test
  void everyBadTrainingArgumentIsReportedAtOnce() throws IOException {
    Path file = write("experiment: demo\ndata: {input: $CORPUS, output: out}\n"
        + "train: {output_dir: runs, lerning_rate: 1.0, max_steps: many, warmup_stepz: 3, save_total_limit: 0,"
        + " optim: sgd}\n");
    String m = fails(file).getMessage();
    assertTrue(m.startsWith(file + ": invalid configuration"), m);
    for (String problem : List.of("key 'train.lerning_rate': not a training argument",
        "key 'train.max_steps': 'many' is not an integer", "key 'train.warmup_stepz': not a training argument",
        "key 'train.save_total_limit': must be >= 1, got 0", "key 'train.optim': only adamw_torch")) {
      assertTrue(m.contains(problem), problem + " in:\n" + m);
    }
  }

  /** A key or value that came from --set is blamed on that --set, not on the file. */
  @Test
  void aBadSetIsBlamedOnSet() throws IOException {
    Path file = write("experiment: demo\ndata: {input: $CORPUS, output: out}\ntrain: {output_dir: runs}\n");
    String unknown = fails(file, "data.seq_lenn=3").getMessage();
    assertTrue(unknown.startsWith("--set data.seq_lenn=3: unknown key 'data.seq_lenn'"), unknown);
    assertFalse(unknown.contains(file.toString()), unknown);

    String train = fails(file, "train.max_stepz=3", "train.learning_rate=fast").getMessage();
    assertTrue(train.startsWith("invalid --set"), train);
    assertTrue(train.contains("--set train.max_stepz=3: key 'train.max_stepz': not a training argument"), train);
    assertTrue(train.contains("--set train.learning_rate=fast: key 'train.learning_rate': 'fast' is not a number"),
        train);
    assertFalse(train.contains(file.toString()), train);

    // a problem of the file's own is still the file's, beside the --set one
    Path both = write("experiment: demo\ndata: {input: $CORPUS, output: out, seq_len: -1}\ntrain: {output_dir: runs}\n");
    String mixed = fails(both, "train.max_stepz=3").getMessage();
    assertTrue(mixed.startsWith(both + ": invalid configuration"), mixed);
    assertTrue(mixed.contains("\n  - key 'data.seq_len': must be at least 2"), mixed);
    assertTrue(mixed.contains("\n  - --set train.max_stepz=3: key 'train.max_stepz'"), mixed);
  }

  /** What `narrow config` prints is a config too, and it trains with exactly the same arguments. */
  @Test
  void thePrintedConfigHasEveryTrainingArgumentAndLoadsBackToTheSamePlan() throws IOException {
    Path file = write("experiment: demo\ndata: {input: $CORPUS, output: out, layout: truncate, seq_len: 96}\n"
        + "model: {preset: d16_l1_h2}\ntrain: {output_dir: runs, warmup_ratio: 0.1}\n");
    ExperimentConfig loaded = ConfigLoader.load(file, List.of());
    ExperimentConfig resolved = loaded.withTrainingDefaults(file);
    assertEquals(narrow.train.TrainingArguments.defaults("x").toMap().keySet(), resolved.train().keySet());
    assertEquals(96, resolved.train().get("max_length"));
    assertEquals("runs", resolved.train().get("output_dir"), "the experiment's folder, not the run's");

    Path printed = dir.resolve("printed.yaml");
    Files.writeString(printed, ConfigLoader.toYaml(resolved));
    ExperimentConfig reloaded = ConfigLoader.load(printed, List.of());
    assertEquals(resolved, reloaded.withTrainingDefaults(printed));
    assertEquals(TrainingPlan.of(loaded, file).args(), TrainingPlan.of(reloaded, printed).args());
    assertEquals(Layout.TRUNCATE, reloaded.data().layout());
  }

  @Test
  void withoutATrainSectionNothingIsFilledIn() throws IOException {
    Path file = write("experiment: demo\ndata: {input: $CORPUS, output: out}\n");
    ExperimentConfig c = ConfigLoader.load(file, List.of());
    assertEquals(java.util.Map.of(), c.withTrainingDefaults(file).train());
  }

  @Test
  void badPresetName() throws IOException {
    Path file = write("experiment: demo\ndata: {input: $CORPUS, output: out}\nmodel: {preset: big}\n");
    assertTrue(fails(file).getMessage().contains("key 'model.preset'"));
    Path uneven = write("experiment: demo\ndata: {input: $CORPUS, output: out}\nmodel: {preset: d100_l2_h3}\n");
    String m = fails(uneven).getMessage();
    assertTrue(m.contains("key 'model.preset'") && m.contains("not divisible by 3 heads"), m);
    Path device = write("experiment: demo\ndata: {input: $CORPUS, output: out}\nmodel: {preset: d64_l2_h2, device: tpu}\n");
    assertTrue(fails(device).getMessage().contains("key 'model.device'"));
  }

  /**
   * The line a setting that names an unknown choice gets; such a mistake shows beside the file's
   * other problems (here seq_len 1), not alone.
   */
  private String choiceError(String data, String more, String key) throws IOException {
    Path file = write("experiment: demo\ndata: {input: $CORPUS, output: out, seq_len: 1" + data + "}\n" + more);
    String m = fails(file).getMessage();
    assertTrue(m.startsWith(file + ": invalid configuration\n"), m);
    assertTrue(m.contains("\n  - key 'data.seq_len': must be at least 2 (an input and a label), got 1"), m);
    return m.lines().filter(l -> l.startsWith("  - key '" + key + "'")).findFirst()
        .orElseThrow(() -> new AssertionError(m));
  }

  @Test
  void unknownEncoderNamesTheEncoders() throws IOException {
    assertEquals("  - key 'data.encoder': must be one of fast, oracle, got 'turbo'",
        choiceError(", encoder: turbo", "", "data.encoder"));
  }

  @Test
  void unknownLayoutNamesTheLayouts() throws IOException {
    assertEquals("  - key 'data.layout': must be one of pack, truncate, got 'zigzag'",
        choiceError(", layout: zigzag", "", "data.layout"));
  }

  @Test
  void unknownPruneMethodNamesTheMethods() throws IOException {
    assertEquals("  - key 'prune.method': must be one of attribution, random, norm, got 'magnitude'",
        choiceError("", "prune: {method: magnitude}\n", "prune.method"));
  }

  @Test
  void unknownDeviceNamesTheForms() throws IOException {
    String expected = "  - key 'model.device': must be auto (a GPU when libtorch sees one), cpu, gpu or cuda:N, got '%s'";
    for (String device : new String[] {"tpu", "cuda:x", "CPU"}) {
      assertEquals(String.format(expected, device),
          choiceError("", "model: {preset: d64_l2_h2, device: '" + device + "'}\n", "model.device"));
    }
  }

  @Test
  void deviceSettingsReadAndPrintAsWritten() throws IOException {
    for (String device : new String[] {"auto", "cpu", "gpu", "cuda", "cuda:1"}) {
      Path file = write("experiment: demo\ndata: {input: $CORPUS, output: out}\nmodel: {preset: d64_l2_h2, device: '"
          + device + "'}\n");
      ExperimentConfig c = ConfigLoader.load(file, List.of());
      assertEquals(device, c.model().device().toString());
      assertTrue(ConfigLoader.toYaml(c).contains("device: \"" + device + "\"")
          || ConfigLoader.toYaml(c).contains("device: " + device + "\n"), ConfigLoader.toYaml(c));
    }
  }
}
