package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import narrow.data.S3ProxyServer;
import narrow.train.CheckpointStore;
import narrow.train.TestShardsAccess;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code narrow train} with its shards and output_dir on s3a:// (S3Proxy on loopback), the
 * endpoint and credentials given the way a user gives them: {@code spark.hadoop.*} lines of the
 * Spark properties file, with no Spark session started for a single replica.
 */
@narrow.Slow
class S3aTrainCommandTest {
  static S3ProxyServer s3;
  static Configuration conf;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    FileSystem.closeAll(); // no cached s3a client of another test's server
    s3 = S3ProxyServer.start(dir);
    s3.createBucket("cli");
    conf = s3.hadoopConfiguration();
    // this test's own clients stay out of Hadoop's cache, so the command must reach the server
    // with what --spark-conf gives it, not with a client this test left behind
    conf.set("fs.s3a.impl.disable.cache", "true");
  }

  @AfterAll
  static void stop() throws IOException {
    FileSystem.closeAll();
    if (s3 != null) s3.close();
  }

  static org.apache.hadoop.fs.Path hadoop(String uri) {
    return new org.apache.hadoop.fs.Path(uri);
  }

  static JsonNode readJson(String uri) throws IOException {
    try (var in = hadoop(uri).getFileSystem(conf).open(hadoop(uri))) {
      return new ObjectMapper().readTree(in);
    }
  }

  /**
   * Trains 4 steps from s3a shards into s3a; then a save cut short (checkpoint-6: files, no
   * marker) is not what {@code --resume} picks: it continues from checkpoint-4 to step 8, saving
   * checkpoint-6 and checkpoint-8 whole, and rotation keeps the newest only.
   */
  @Test
  void trainsAndResumesOnS3a() throws Exception {
    Path local = TestShardsAccess.learnable(dir.resolve("data"), 318, 318, 24, true, 32, 6, 1);
    String data = "s3a://cli/tokenized";
    FileUtil.copy(FileSystem.getLocal(conf), new org.apache.hadoop.fs.Path(local.toUri()),
        hadoop(data).getFileSystem(conf), hadoop(data), false, conf);
    Path sparkConf = Files.writeString(dir.resolve("s3.conf"), s3.s3aSettings().entrySet().stream()
        .map(e -> "spark.hadoop." + e.getKey() + " " + e.getValue()).collect(Collectors.joining("\n", "", "\n")));
    Path experiment = Files.writeString(dir.resolve("exp.yaml"), """
        experiment: s3atest
        data: {input: %s, output: %s, seq_len: 24}
        model: {preset: d16_l1_h2, seed: 7}
        train:
          output_dir: s3a://cli/experiments
          learning_rate: 1.0e-3
          max_steps: 8
          per_device_train_batch_size: 2
          logging_steps: 1
          eval_steps: 0
          save_steps: 2
          save_total_limit: 1
          bf16: false
        """.formatted(dir, data));
    String run = "s3a://cli/experiments/d16_l1_h2";

    CliTest.Run first = CliTest.narrow("train", experiment.toString(), "--spark-conf", sparkConf.toString(),
        "--set", "train.max_steps=4");
    assertEquals(0, first.exit(), first.err());
    assertTrue(first.out().contains("final model: " + run + "/final_model"), first.out());
    assertTrue(readJson(run + "/model_stats.json").get("n_params").asLong() > 0);
    CheckpointStore store = CheckpointStore.open(run, conf);
    assertEquals(List.of(run + "/checkpoint-4"), store.list());
    assertTrue(store.isComplete("final_model"));
    CliTest.Run again = CliTest.narrow("train", experiment.toString(), "--spark-conf", sparkConf.toString());
    assertEquals(2, again.exit(), again.err());
    assertTrue(again.err().contains("narrow train: " + run + " already holds a run (checkpoint-4, final_model, "
        + "model_stats.json): continue it with --resume, or replace it with --overwrite"), again.err());

    // a save of step 6 cut short by a kill: some files, no marker
    FileSystem fs = hadoop(run).getFileSystem(conf);
    FileUtil.copy(fs, hadoop(run + "/checkpoint-4/config.json"), fs, hadoop(run + "/checkpoint-6/config.json"), false,
        conf);
    assertEquals(run + "/checkpoint-4", store.latest());

    CheckpointStore.LocalCopy before = CheckpointStore.fetch(run + "/checkpoint-4", conf);
    JsonNode resumedFrom;
    try (before) {
      resumedFrom = new ObjectMapper().readTree(before.dir().resolve("trainer_state.json").toFile());
    }
    CliTest.Run resumed = CliTest.narrow("train", experiment.toString(), "--spark-conf", sparkConf.toString(),
        "--resume");
    assertEquals(0, resumed.exit(), resumed.err());
    assertEquals(List.of(run + "/checkpoint-8"), store.list(), "checkpoint-6 saved whole, then rotated away");
    assertFalse(fs.exists(hadoop(run + "/checkpoint-6")));
    JsonNode state = readJson(run + "/final_model/trainer_state.json");
    assertEquals(8, state.get("global_step").asInt());
    // the first 4 steps' log entries come from checkpoint-4, exactly
    for (int i = 0; i < 4; i++) {
      assertEquals(resumedFrom.get("log_history").get(i), state.get("log_history").get(i), "log entry " + i);
    }
    assertEquals(8, state.get("log_history").size() - 1, "steps 1-8 logged once each, then the run's summary");

    CliTest.Run replaced = CliTest.narrow("train", experiment.toString(), "--spark-conf", sparkConf.toString(),
        "--overwrite", "--set", "train.max_steps=2");
    assertEquals(0, replaced.exit(), replaced.err());
    assertEquals(List.of(run + "/checkpoint-2"), store.list(), "checkpoint-8 went with the old run");
    assertEquals(2, readJson(run + "/final_model/trainer_state.json").get("global_step").asInt());
  }

  @Test
  void resumeWithNoCompleteCheckpointSaysSo() throws Exception {
    Path sparkConf = Files.writeString(dir.resolve("s3-empty.conf"), s3.s3aSettings().entrySet().stream()
        .map(e -> "spark.hadoop." + e.getKey() + " " + e.getValue()).collect(Collectors.joining("\n", "", "\n")));
    Path experiment = Files.writeString(dir.resolve("empty.yaml"), """
        experiment: s3atest
        data: {input: %s, output: s3a://cli/nothing, seq_len: 24}
        model: {preset: d16_l1_h2}
        train: {output_dir: "s3a://cli/empty"}
        """.formatted(dir));
    FileSystem fs = hadoop("s3a://cli/empty").getFileSystem(conf);
    try (var out = fs.create(hadoop("s3a://cli/empty/d16_l1_h2/checkpoint-2/config.json"))) {
      out.write('{');
    }
    CliTest.Run r = CliTest.narrow("train", experiment.toString(), "--spark-conf", sparkConf.toString(), "--resume");
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("no complete checkpoint-N folder under s3a://cli/empty/d16_l1_h2"), r.err());
  }
}
