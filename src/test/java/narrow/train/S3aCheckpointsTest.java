package narrow.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import narrow.data.S3ProxyServer;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.LlamaForCausalLM;
import narrow.model.io.Safetensors;
import narrow.util.CompleteFolder;
import narrow.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training with its shards and its output_dir on s3a://, against S3Proxy on loopback: checkpoints
 * uploaded with the marker last, a killed upload never taken for a checkpoint, exact resume from
 * a remote checkpoint.
 */
@narrow.Slow
class S3aCheckpointsTest {
  static final int BOS = 318;
  static final String BUCKET = "s3a://ckpt";
  static S3ProxyServer s3;
  static Configuration conf;
  @TempDir static Path tmp;

  @BeforeAll
  static void start() throws Exception {
    FileSystem.closeAll(); // no cached s3a client of another test's server
    s3 = S3ProxyServer.start(tmp);
    s3.createBucket("ckpt");
    conf = s3.hadoopConfiguration();
    conf.set("fs.s3a.impl", RecordingS3aFileSystem.class.getName());
  }

  @AfterAll
  static void stop() throws IOException {
    FileSystem.closeAll();
    if (s3 != null) s3.close();
  }

  static TrainingArguments args(String out, long steps) {
    return TrainingArguments.defaults(out).with(Map.ofEntries(
        Map.entry("max_steps", steps), Map.entry("learning_rate", 3e-3), Map.entry("weight_decay", 0.01),
        Map.entry("warmup_steps", 3), Map.entry("lr_scheduler_type", "cosine"),
        Map.entry("per_device_train_batch_size", 4), Map.entry("per_device_eval_batch_size", 5),
        Map.entry("gradient_accumulation_steps", 2), Map.entry("logging_steps", 2), Map.entry("eval_steps", 4),
        Map.entry("save_steps", 4), Map.entry("save_total_limit", 2), Map.entry("seed", 7),
        Map.entry("max_length", 24), Map.entry("bf16", false)));
  }

  /** Copies a local folder to {@code uri}; returns the uri. */
  static String upload(Path local, String uri) throws IOException {
    org.apache.hadoop.fs.Path to = new org.apache.hadoop.fs.Path(uri);
    FileUtil.copy(FileSystem.getLocal(conf), new org.apache.hadoop.fs.Path(local.toUri()), to.getFileSystem(conf), to,
        false, conf);
    return uri;
  }

  /** What a killed upload leaves: some of a checkpoint's files, and no marker. */
  static void killedUpload(String folder, String... files) throws IOException {
    org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(folder);
    FileSystem fs = dir.getFileSystem(conf);
    for (String f : files) {
      try (var out = fs.create(new org.apache.hadoop.fs.Path(dir, f))) {
        out.write(("half of " + f).getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  static boolean exists(String uri) throws IOException {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
    return p.getFileSystem(conf).exists(p);
  }

  static void assertSameWeights(Map<String, Tensor> want, Map<String, Tensor> got) {
    assertEquals(want.keySet(), got.keySet());
    for (String k : want.keySet()) assertArrayEquals(Tensors.toFloats(want.get(k)), Tensors.toFloats(got.get(k)), k);
  }

  /**
   * Shards read from s3a (with the tokenizer.json beside them), every folder uploaded whole with
   * its marker written after all its files, the rotated checkpoint deleted marker first, and a
   * final_model that downloads to the trainer's weights.
   */
  @Test
  void trainsFromS3aShardsIntoS3aCheckpointsWithTheMarkerLast() throws Exception {
    Path local = TestShards.learnable(tmp.resolve("data1"), 318, BOS, 24, true, 64, 10, 1);
    byte[] tokenizer = "{\"model\": \"stand-in\"}".getBytes(StandardCharsets.UTF_8);
    Files.write(local.resolve("tokenizer.json"), tokenizer);
    String data = upload(local, BUCKET + "/data1");
    String out = BUCKET + "/runs/one";
    RecordingS3aFileSystem.EVENTS.clear();
    TrainResult result;
    try (Trainer t = Trainer.open(TrainRun.of(new ModelSource.Fresh(TrainerTest.tinyConfig(), 3), data, args(out, 12))
        .withHadoop(conf))) {
      result = t.run();
      assertEquals(out + "/final_model", result.finalModel());
      try (TensorScope scope = new TensorScope();
          CheckpointStore.LocalCopy copy = CheckpointStore.fetch(result.finalModel(), conf);
          LlamaForCausalLM back = LlamaForCausalLM.load(copy.dir())) {
        assertSameWeights(t.model().parameters(), back.parameters());
        assertArrayEquals(tokenizer, Files.readAllBytes(copy.dir().resolve("tokenizer.json")));
      }
    }
    CheckpointStore store = CheckpointStore.open(out, conf);
    assertEquals(List.of(out + "/checkpoint-8", out + "/checkpoint-12"), store.list());
    assertEquals(12, store.readTrainerState("final_model").globalStep());

    List<String> files = List.of("model.safetensors", "config.json", "tokenizer.json", "trainer_state.json",
        "training_args.bin", "training_args.json");
    for (String folder : List.of("checkpoint-4", "checkpoint-8", "checkpoint-12", "final_model")) {
      String prefix = out + "/" + folder + "/";
      List<String> written = RecordingS3aFileSystem.events("write", prefix);
      for (String f : files) assertTrue(written.contains(prefix + f), prefix + f + " in " + written);
      if (folder.startsWith("checkpoint")) {
        assertTrue(written.contains(prefix + Checkpoints.OPTIMIZER_FILE), written.toString());
        assertTrue(written.contains(prefix + TrainingPosition.FILE), written.toString());
      }
      assertEquals(prefix + CompleteFolder.MARKER, written.get(written.size() - 1), "the marker is last");
      assertEquals(1, written.stream().filter(w -> w.endsWith(CompleteFolder.MARKER)).count());
    }
    // save_total_limit 2: checkpoint-4 went when checkpoint-12 came, its marker first
    assertFalse(exists(out + "/checkpoint-4"));
    List<String> deleted = RecordingS3aFileSystem.events("delete", out + "/checkpoint-4");
    assertEquals(out + "/checkpoint-4/" + CompleteFolder.MARKER, deleted.get(0), deleted.toString());
  }

  /**
   * Killed after checkpoint-8 with a later upload cut short: the cut one is not a checkpoint,
   * resuming from the newest complete one on s3a reproduces the uninterrupted local run, the cut
   * folder is replaced whole when its step is saved again, and rotation clears incomplete folders
   * older than the newest complete one but leaves a newer one alone.
   */
  @Test
  void resumeFromAnS3aCheckpointReproducesTheUninterruptedRun() throws Exception {
    Path local = TestShards.learnable(tmp.resolve("data2"), 318, BOS, 24, false, 40, 10, 2);
    String data = upload(local, BUCKET + "/data2");
    TrainResult full = Trainer.train(TrainRun.of(new ModelSource.Fresh(TrainerTest.tinyConfig(), 5), local,
        args(tmp.resolve("full").toString(), 14)));

    String out = BUCKET + "/runs/killed";
    try (Trainer t = Trainer.open(TrainRun.of(new ModelSource.Fresh(TrainerTest.tinyConfig(), 5), data, args(out, 14))
        .withHadoop(conf))) {
      for (int i = 0; i < 9; i++) t.step();
    }
    killedUpload(out + "/checkpoint-12", "config.json", "model.safetensors", "left-over.bin");
    killedUpload(out + "/checkpoint-2", "config.json");
    killedUpload(out + "/checkpoint-16", "config.json");
    CheckpointStore store = CheckpointStore.open(out, conf);
    assertEquals(List.of(out + "/checkpoint-4", out + "/checkpoint-8"), store.list());
    assertEquals(out + "/checkpoint-8", store.latest());

    UserError refused = assertThrows(UserError.class, () -> Trainer.open(TrainRun.of(
        new ModelSource.Fresh(TrainerTest.tinyConfig(), 5), data, args(out, 14)).withHadoop(conf)
        .resumingFrom(out + "/checkpoint-12")));
    assertTrue(refused.getMessage().contains(out + "/checkpoint-12 is not a complete checkpoint"),
        refused.getMessage());

    TrainResult resumed = Trainer.train(TrainRun.of(new ModelSource.Fresh(TrainerTest.tinyConfig(), 999), data,
        args(out, 14)).withHadoop(conf).resumingFrom(store.latest()));
    assertEquals(14, resumed.globalStep());
    List<Map<String, Object>> want = full.state().entriesWith("loss");
    List<Map<String, Object>> got = resumed.state().entriesWith("loss");
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) {
      assertEquals(((Number) want.get(i).get("loss")).doubleValue(), ((Number) got.get(i).get("loss")).doubleValue(),
          1e-6, "loss at step " + want.get(i).get("step"));
    }
    assertEquals(full.trainLoss(), resumed.trainLoss(), 1e-6);
    try (TensorScope scope = new TensorScope();
        CheckpointStore.LocalCopy finalModel = CheckpointStore.fetch(resumed.finalModel(), conf)) {
      Map<String, Tensor> a = Safetensors.read(Path.of(full.finalModel(), "model.safetensors"), Device.CPU);
      Map<String, Tensor> b = Safetensors.read(finalModel.dir().resolve("model.safetensors"), Device.CPU);
      for (String k : a.keySet()) {
        float[] x = Tensors.toFloats(a.get(k)), y = Tensors.toFloats(b.get(k));
        for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 1e-6f, k);
      }
    }

    assertEquals(List.of(out + "/checkpoint-8", out + "/checkpoint-12"), store.list());
    assertFalse(exists(out + "/checkpoint-12/left-over.bin"), "a re-saved folder keeps nothing of the cut one");
    assertFalse(exists(out + "/checkpoint-2"), "an incomplete folder older than the newest complete one is cleared");
    assertTrue(exists(out + "/checkpoint-16/config.json"), "a newer incomplete folder is left alone");
    assertFalse(store.isComplete("checkpoint-16"));
  }

  /** A distillation teacher on s3a:// is fetched with the run's Hadoop settings (the endpoint of this server). */
  @Test
  void aTeacherOnS3aIsFetchedWithTheRunsSettings() throws Exception {
    Path data = TestShards.learnable(tmp.resolve("teacher-data"), 318, BOS, 24, true, 32, 5, 1);
    String teacher = upload(narrow.model.Fixtures.model(narrow.model.Fixtures.TIED).toAbsolutePath(),
        BUCKET + "/teacher");
    // no cached s3a client may stand in for the run's settings: Hadoop's defaults alone cannot reach this server
    FileSystem.closeAll();
    Configuration uncached = new Configuration(conf);
    uncached.setBoolean("fs.s3a.impl.disable.cache", true);
    TrainResult r = Trainer.train(TrainRun.of(new ModelSource.Fresh(TrainerTest.tinyConfig(), 5), data,
            args(tmp.resolve("distilled").toString(), 2).with("eval_steps", 0)).withHadoop(uncached)
        .withHooks(TrainingHooks.none().withObjective(
            new narrow.distill.DistillSettings(teacher, 2.0, 0.5, 0.9).objective())));
    assertTrue(((Number) r.state().entriesWith("teacher_ce_loss").get(0).get("teacher_ce_loss")).doubleValue() > 0);
  }
}
