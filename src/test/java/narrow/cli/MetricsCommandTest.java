package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import narrow.data.S3ProxyServer;
import narrow.metrics.StudyMetrics;
import narrow.model.Fixtures;
import narrow.model.io.PythonTorch;
import narrow.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code narrow metrics} on a study tree of real runs (a preset from scratch, norm and random
 * pruning with recovery, group sparsity, distillation, a run cut short, an empty folder): the four
 * tables' schemas as the README's contract, their rows against the run files, pandas reading
 * them, an s3a:// root, and a failed rebuild leaving the old tables.
 */
@narrow.Slow
class MetricsCommandTest {
  @TempDir static Path dir;
  static Path root;
  static Path sparkConf;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void study() throws Exception {
    Path untied = Fixtures.model(Fixtures.UNTIED).toAbsolutePath();
    Path prune = PruneCommandTest.conf(dir, untied.toString(), "");
    sparkConf = dir.resolve("local2.conf");
    root = dir.resolve("study");
    for (String[] run : new String[][] {{"norm", "pruneandtrain01"}, {"random", "pruneandtrainrandom00"}}) {
      ok("prune", prune.toString(), "--run", run[0], "--set", "train.output_dir=" + root.resolve(run[1]),
          "--set", "train.max_steps=4");
    }
    ok("train", experiment("trainscratch01", "{preset: d16_l1_h2, seed: 3}", "").toString());
    ok("train", experiment("tuneprune15", "{pretrained: " + untied + "}",
        "sparsity: {penalty: l1_of_l2_of_mlps, lambda: 0.01}\nruns: {lambda_0.01: {sparsity.lambda: 0.01}}").toString(),
        "--run", "lambda_0.01");
    ok("train", experiment("distillscratch00", "{pretrained: " + untied + "}",
        "distill: {teacher: " + Fixtures.model(Fixtures.TIED).toAbsolutePath() + ", temperature: 2.0, alpha: 0.5}\n"
            + "runs: {student: {distill.alpha: 0.5}}").toString(), "--run", "student");
    // a run cut short after its first checkpoint, and a run folder that never got going
    Path partial = root.resolve("interrupted/d16_l1_h2");
    copy(root.resolve("trainscratch01/d16_l1_h2"), partial);
    Files.delete(partial.resolve("final_model/_SUCCESS"));
    Files.delete(partial.resolve("checkpoint-4/_SUCCESS"));
    Files.createDirectories(root.resolve("interrupted/nothing_yet"));
  }

  static Path experiment(String name, String model, String extra) throws IOException {
    return Files.writeString(dir.resolve(name + ".yaml"), """
        experiment: %s
        data: {input: %s, output: %s, seq_len: 24}
        model: %s
        train: {output_dir: %s, max_steps: 4, learning_rate: 1.0e-3, per_device_train_batch_size: 4,
                per_device_eval_batch_size: 5, logging_steps: 2, eval_steps: 2, save_steps: 2, bf16: false}
        """.formatted(name, dir, dir.resolve("data"), model, root.resolve(name)) + extra + "\n");
  }

  static void ok(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--spark-conf", sparkConf.toString()));
    CliTest.Run r = CliTest.narrow(all.toArray(String[]::new));
    assertEquals(0, r.exit(), String.join(" ", args) + ":\n" + r.err());
  }

  /** The test's Spark session: a fresh one when the command line has stopped the last. */
  static SparkSession spark() {
    return SparkSession.builder().master("local[2]").appName("metrics test")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
  }

  @AfterAll
  static void stop() {
    SparkSession.getDefaultSession().foreach(s -> {
      s.stop();
      return null;
    });
  }

  static Map<String, DataType> types(Dataset<Row> table) {
    Map<String, DataType> out = new LinkedHashMap<>();
    for (StructField f : table.schema().fields()) out.put(f.name(), f.dataType());
    return out;
  }

  static JsonNode json(Path file) throws IOException {
    return JSON.readTree(file.toFile());
  }

  /** Every table as the README's contract gives it: names and types, {@code experiment} a partition. */
  @Test
  void theTablesHaveTheContractsSchemasAndTheRunsValues() throws Exception {
    StudyMetrics.Result result = StudyMetrics.rebuild(spark(), root.toString());
    SparkSession spark = spark();
    String metrics = root.resolve("_metrics").toString();
    assertEquals(metrics, result.location());
    assertTrue(Files.exists(root.resolve("_metrics/_SUCCESS")), "committed whole");
    assertTrue(Files.isDirectory(root.resolve("_metrics/history/experiment=trainscratch01")), "partitioned by experiment");

    Dataset<Row> runs = spark.read().parquet(metrics + "/runs");
    Map<String, DataType> expected = new LinkedHashMap<>();
    DataType s = DataTypes.StringType, l = DataTypes.LongType, d = DataTypes.DoubleType;
    Object[] contract = {"run", s, "method", s, "preset", s, "base_model", s, "n_params", l,
        "n_effective_params", l, "neuron_sparsity", d, "residual_sparsity", d, "sparsity_lambda", d,
        "teacher", s, "tokens_seen", l, "flops", d, "final_train_loss", d, "final_eval_loss", d,
        "global_step", l, "max_steps", l, "wall_time_s", d, "replicas", DataTypes.IntegerType,
        "precision", s, "status", s, "experiment", s};
    for (int i = 0; i < contract.length; i += 2) expected.put((String) contract[i], (DataType) contract[i + 1]);
    assertEquals(expected, types(runs));
    assertEquals(Map.of("run", s, "kind", s, "layer", DataTypes.IntegerType, "index", DataTypes.IntegerType,
        "score", d, "pruned", DataTypes.BooleanType, "experiment", s), new HashMap<>(types(spark.read().parquet(metrics + "/pruning"))));
    assertEquals(Map.of("run", s, "step", l, "quantile", d, "norm", d, "experiment", s),
        new HashMap<>(types(spark.read().parquet(metrics + "/neuron_norms"))));
    Map<String, DataType> history = types(spark.read().parquet(metrics + "/history"));
    assertEquals(s, history.get("run"));
    assertEquals(l, history.get("train/global_step"));
    for (String column : List.of("train/loss", "eval/loss", "train/learning_rate", "train/grad_norm", "train/epoch",
        "train/student_ce_loss", "train/data_loss", "train/train_runtime", "train/neuron_norm_q0.5",
        "eval/loss_before_pruning")) {
      assertEquals(d, history.get(column), column + " in " + history);
    }
    history.forEach((column, type) -> {
      if (!List.of("experiment", "run", "train/global_step").contains(column)) assertEquals(d, type, column);
    });

    // rows: one per run folder, one per log entry, one per prunable unit, one per logged quantile
    String[] runFolders = {"distillscratch00/student", "interrupted/d16_l1_h2", "interrupted/nothing_yet",
        "pruneandtrain01/norm", "pruneandtrainrandom00/random", "trainscratch01/d16_l1_h2", "tuneprune15/lambda_0.01"};
    assertEquals(runFolders.length, runs.count());
    long entries = 0, quantiles = 0;
    for (String run : runFolders) {
      Path state = root.resolve(run).resolve(run.startsWith("interrupted/d16") ? "checkpoint-2" : "final_model")
          .resolve("trainer_state.json");
      if (!Files.exists(state)) continue;
      for (JsonNode e : json(state).get("log_history")) {
        entries++;
        for (var it = e.fieldNames(); it.hasNext(); ) if (it.next().startsWith("neuron_norm_q")) quantiles++;
      }
    }
    assertEquals(entries, result.rows().get("history"));
    assertEquals(entries, spark.read().parquet(metrics + "/history").count());
    assertTrue(quantiles > 0, "the sparsity run logs its norm quantiles");
    assertEquals(quantiles, spark.read().parquet(metrics + "/neuron_norms").count());
    JsonNode norm = json(root.resolve("pruneandtrain01/norm/pruning_stats.json"));
    long units = norm.get("total_neurons").asLong() + norm.get("total_residuals").asLong();
    assertEquals(2 * units, spark.read().parquet(metrics + "/pruning").count(), "norm and random prune the same model");

    Map<String, Row> byRun = new HashMap<>();
    for (Row r : runs.collectAsList()) byRun.put(r.<String>getAs("experiment") + "/" + r.<String>getAs("run"), r);
    Row scratch = byRun.get("trainscratch01/d16_l1_h2");
    JsonNode state = json(root.resolve("trainscratch01/d16_l1_h2/final_model/trainer_state.json"));
    long nParams = json(root.resolve("trainscratch01/d16_l1_h2/model_stats.json")).get("n_params").asLong();
    assertEquals("scratch", scratch.getAs("method"));
    assertEquals("d16_l1_h2", scratch.getAs("preset"));
    assertNull(scratch.getAs("base_model"));
    assertEquals(nParams, (long) scratch.getAs("n_params"));
    assertEquals(nParams, (long) scratch.getAs("n_effective_params"), "no mask: every parameter");
    long tokens = state.get("num_input_tokens_seen").asLong();
    assertTrue(tokens > 0);
    assertEquals(tokens, (long) scratch.getAs("tokens_seen"));
    assertEquals(6.0 * nParams * tokens, scratch.<Double>getAs("flops"), 1.0);
    assertEquals(lastValue(state, "eval_loss"), scratch.<Double>getAs("final_eval_loss"), 0.0);
    assertEquals(lastValue(state, "loss"), scratch.<Double>getAs("final_train_loss"), 0.0);
    assertEquals(lastValue(state, "train_runtime"), scratch.<Double>getAs("wall_time_s"), 0.0);
    assertEquals(4L, (long) scratch.getAs("global_step"));
    assertEquals(4L, (long) scratch.getAs("max_steps"));
    assertEquals(1, (int) scratch.getAs("replicas"));
    assertEquals("float32", scratch.getAs("precision"));
    assertEquals("done", scratch.getAs("status"));

    Row pruned = byRun.get("pruneandtrain01/norm");
    assertEquals("norm", pruned.getAs("method"));
    assertNull(pruned.getAs("preset"));
    assertEquals(Fixtures.model(Fixtures.UNTIED).toAbsolutePath().toString(), pruned.getAs("base_model"));
    assertEquals(0.5, pruned.<Double>getAs("neuron_sparsity"));
    assertEquals(0.25, pruned.<Double>getAs("residual_sparsity"));
    assertTrue((long) pruned.getAs("n_effective_params") < (long) pruned.getAs("n_params"), pruned.toString());
    assertEquals("random", byRun.get("pruneandtrainrandom00/random").getAs("method"));
    Row sparsity = byRun.get("tuneprune15/lambda_0.01");
    assertEquals("group_sparsity", sparsity.getAs("method"));
    assertEquals(0.01, sparsity.<Double>getAs("sparsity_lambda"));
    Row distilled = byRun.get("distillscratch00/student");
    assertEquals("distillation", distilled.getAs("method"), "the run writes experiment_metadata.json");
    assertEquals(Fixtures.model(Fixtures.TIED).toAbsolutePath().toString(), distilled.getAs("teacher"));
    Row partial = byRun.get("interrupted/d16_l1_h2");
    assertEquals("partial", partial.getAs("status"));
    assertEquals(2L, (long) partial.getAs("global_step"), "the newest complete checkpoint's state");
    Row empty = byRun.get("interrupted/nothing_yet");
    assertEquals("empty", empty.getAs("status"));
    assertNull(empty.getAs("global_step"));

    // a unit's score and fate as pruning_stats.json has them
    Row first = spark.read().parquet(metrics + "/pruning")
        .where("experiment = 'pruneandtrain01' and kind = 'neuron' and layer = 0 and index = 0").first();
    assertEquals(norm.get("neuron_scores").get(0).get(0).asDouble(), first.<Double>getAs("score"), 0.0);
    boolean firstPruned = false;
    for (JsonNode n : norm.get("pruned_neurons")) firstPruned |= n.get(0).asInt() == 0 && n.get(1).asInt() == 0;
    assertEquals(firstPruned, first.<Boolean>getAs("pruned"));
    assertEquals(norm.get("total_neurons_pruned").asLong(), spark.read().parquet(metrics + "/pruning")
        .where("experiment = 'pruneandtrain01' and kind = 'neuron' and pruned").count());
    assertEquals(0, spark.read().parquet(metrics + "/pruning")
        .where("experiment = 'pruneandtrainrandom00' and score is not null").count(), "a random draw has no scores");
  }

  private static double lastValue(JsonNode state, String key) {
    double last = Double.NaN;
    for (JsonNode e : state.get("log_history")) if (e.has(key)) last = e.get(key).asDouble();
    return last;
  }

  /**
   * pandas (pyarrow) reads each table folder; the history of a run is in step order, and the
   * effective parameters of the pruned run are the study's {@code sum(m.sum() for m in mask.values())}.
   */
  @Test
  void pandasReadsTheTables() throws Exception {
    if (!Files.isExecutable(PythonTorch.python()) || !PythonTorch.importable("pandas, pyarrow, safetensors")) {
      String reason = "no Python with pandas, pyarrow and safetensors (tried " + PythonTorch.python()
          + "; set NARROW_HF_PYTHON)";
      PythonTorch.recordSkipped("MetricsCommandTest.pandasReadsTheTables", reason);
      Assumptions.abort(reason);
    }
    StudyMetrics.rebuild(spark(), root.toString());
    String out = PythonTorch.run("""
        import json, sys
        import pandas as pd
        from safetensors.numpy import load_file
        m = sys.argv[1] + '/_metrics/'
        h = pd.read_parquet(m + 'history')
        runs = pd.read_parquet(m + 'runs')
        ordered = all(g['train/global_step'].is_monotonic_increasing for _, g in h.groupby(['experiment', 'run'], observed=True))
        mask = load_file(sys.argv[1] + '/pruneandtrain01/norm/pruning_mask.safetensors')
        norm = runs[runs['run'] == 'norm'].iloc[0]
        print(json.dumps({t: len(pd.read_parquet(m + t)) for t in ['history', 'runs', 'pruning', 'neuron_norms']}
            | {'ordered': bool(ordered), 'loss': str(h['train/loss'].dtype), 'columns': list(runs.columns),
               'mask_sum': int(sum(v.sum() for v in mask.values())), 'effective': int(norm['n_effective_params'])}))
        """, root.toString());
    JsonNode r = JSON.readTree(out);
    SparkSession spark = spark();
    for (String t : StudyMetrics.TABLES) {
      assertEquals(spark.read().parquet(root.resolve("_metrics").resolve(t).toString()).count(), r.get(t).asLong(), t);
    }
    assertTrue(r.get("ordered").asBoolean(), "rows by run, then step: " + r);
    assertEquals("float64", r.get("loss").asText());
    assertEquals(r.get("mask_sum").asLong(), r.get("effective").asLong(), "n_effective_params is the mask's sum");
    assertTrue(r.get("columns").toString().contains("\"n_effective_params\""), r.toString());
  }

  /** The command prints a line per table; a root without runs, or none at all, is one line and exit 2. */
  @Test
  void theCommandPrintsEachTableAndRefusesAnEmptyRoot() throws Exception {
    CliTest.Run r = CliTest.narrow("metrics", root.toString(), "--spark-conf", sparkConf.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("runs: 7 rows, " + root.resolve("_metrics/runs")), r.out());
    for (String t : StudyMetrics.TABLES) assertTrue(r.out().contains(t + ": "), r.out());

    Path empty = Files.createDirectories(dir.resolve("empty-study/_metrics"));
    CliTest.Run none = CliTest.narrow("metrics", empty.getParent().toString(), "--spark-conf", sparkConf.toString());
    assertEquals(2, none.exit(), none.err());
    assertEquals("narrow metrics: " + empty.getParent() + " holds no runs: the metrics tables are built from run "
        + "folders <root>/<experiment>/<run>/ (as narrow run writes them); run an experiment into it first\n", none.err());
    CliTest.Run missing = CliTest.narrow("metrics", dir.resolve("no-such").toString());
    assertEquals(2, missing.exit());
    assertTrue(missing.err().startsWith("narrow metrics: " + dir.resolve("no-such") + " does not exist"), missing.err());
  }

  /**
   * A rebuild replaces the tables whole (a run gone from the tree is gone from them); one that
   * fails on a damaged file names it and leaves the tables of the last build.
   */
  @Test
  void aFailedRebuildLeavesTheOldTables() throws Exception {
    Path study = dir.resolve("atomic");
    copy(root.resolve("distillscratch00"), study.resolve("distillscratch00"));
    copy(root.resolve("pruneandtrain01"), study.resolve("pruneandtrain01"));
    StudyMetrics.rebuild(spark(), study.toString());
    String runs = study.resolve("_metrics/runs").toString();
    assertEquals(2, spark().read().parquet(runs).count());
    Dataset<Row> noNorms = spark().read().parquet(study.resolve("_metrics/neuron_norms").toString());
    assertEquals(0, noNorms.count(), "no sparsity run here");
    assertEquals(List.of("experiment", "run", "step", "quantile", "norm"), List.of(noNorms.schema().fieldNames()),
        "an empty table keeps its columns");

    Path broken = study.resolve("pruneandtrain01/norm/pruning_stats.json");
    byte[] good = Files.readAllBytes(broken);
    Files.writeString(broken, "{\"pruned_neurons\": [");
    UserError e = assertThrows(UserError.class, () -> StudyMetrics.rebuild(spark(), study.toString()));
    assertTrue(e.getMessage().startsWith("cannot read " + broken + ": line "), e.getMessage());
    assertEquals(2, spark().read().parquet(runs).count(), "the last build's tables");
    assertTrue(Files.exists(study.resolve("_metrics/_SUCCESS")));
    try (Stream<Path> left = Files.list(study)) {
      assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith(".")).toList(), "no staging left");
    }

    Files.write(broken, good);
    copy(study.resolve("pruneandtrain01"), study.resolve("pruneandtrain02"));
    narrow.util.LocalFolders.deleteRecursively(study.resolve("distillscratch00"));
    StudyMetrics.Result r = StudyMetrics.rebuild(spark(), study.toString());
    assertEquals(2L, r.rows().get("runs"));
    assertFalse(Files.exists(study.resolve("_metrics/runs/experiment=distillscratch00")), "replaced, not merged");
    assertEquals(List.of("pruneandtrain01", "pruneandtrain02"), spark().read().parquet(runs)
        .select("experiment").orderBy("experiment").as(org.apache.spark.sql.Encoders.STRING()).collectAsList());
  }

  /** The same tables from and into an s3a:// root on S3Proxy. */
  @Test
  void anS3aRoot() throws Exception {
    FileSystem.closeAll();
    try (S3ProxyServer s3 = S3ProxyServer.start(Files.createDirectories(dir.resolve("s3")))) {
      s3.createBucket("study");
      Configuration conf = s3.hadoopConfiguration();
      for (String experiment : List.of("pruneandtrain01", "tuneprune15")) {
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path("s3a://study/root/" + experiment);
        FileUtil.copy(FileSystem.getLocal(conf), new org.apache.hadoop.fs.Path(root.resolve(experiment).toUri()),
            target.getFileSystem(conf), target, false, conf);
      }
      SparkSession spark = spark();
      s3.s3aSettings().forEach(spark.sparkContext().hadoopConfiguration()::set);
      StudyMetrics.Result r = StudyMetrics.rebuild(spark, "s3a://study/root");
      assertEquals("s3a://study/root/_metrics", r.location());
      assertEquals(2L, r.rows().get("runs"));
      assertEquals(2, spark.read().parquet("s3a://study/root/_metrics/runs").count());
      assertEquals(r.rows().get("neuron_norms"), spark.read().parquet("s3a://study/root/_metrics/neuron_norms").count());
      org.apache.hadoop.fs.Path marker = new org.apache.hadoop.fs.Path("s3a://study/root/_metrics/_SUCCESS");
      assertTrue(marker.getFileSystem(conf).exists(marker), "committed with its marker last");
      assertFalse(java.util.Arrays.stream(marker.getFileSystem(conf).listStatus(new org.apache.hadoop.fs.Path("s3a://study/root")))
          .anyMatch(st -> st.getPath().getName().startsWith(".tmp-")), "no staging left");
    } finally {
      FileSystem.closeAll();
    }
  }

  static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path t = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) Files.createDirectories(t);
        else Files.copy(f, t);
      }
    }
  }
}
