package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Collectors;
import narrow.data.S3ProxyServer;
import narrow.model.Fixtures;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code narrow prune} from and to s3a:// (S3Proxy on loopback): the base model is fetched by
 * the driver, the attribution tasks and both recovery replicas; the run's files land in the
 * remote output_dir, and they are those of the same run on local disk.
 */
@narrow.Slow
class S3aPruneCommandTest {
  static S3ProxyServer s3;
  static Configuration conf;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    FileSystem.closeAll(); // no cached s3a client of another test's server
    s3 = S3ProxyServer.start(dir);
    s3.createBucket("models");
    conf = s3.hadoopConfiguration();
  }

  @AfterAll
  static void stop() throws IOException {
    FileSystem.closeAll();
    if (s3 != null) s3.close();
  }

  @Test
  void prunesABaseModelOnS3aIntoS3aAsOnLocalDisk() throws Exception {
    Path localModel = Fixtures.model(Fixtures.UNTIED).toAbsolutePath();
    String remote = "s3a://models/base/untied-mha";
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(remote);
    FileUtil.copy(FileSystem.getLocal(conf), new org.apache.hadoop.fs.Path(localModel.toUri()),
        target.getFileSystem(conf), target, false, conf);
    String s3Settings = s3.s3aSettings().entrySet().stream()
        .map(e -> "spark.hadoop." + e.getKey() + " " + e.getValue()).collect(Collectors.joining("\n", "", "\n"));

    Path fromS3 = PruneCommandTest.conf(dir.resolve("s3"), remote, s3Settings);
    CliTest.Run r = CliTest.narrow("prune", fromS3.toString(), "--run", "attribution", "--spark-conf",
        dir.resolve("s3/local2.conf").toString(), "--set", "distributed.replicas=2",
        "--set", "train.per_device_train_batch_size=2", "--set", "train.output_dir=s3a://models/out");
    assertEquals(0, r.exit(), r.err());
    Path local = PruneCommandTest.conf(dir.resolve("local"), localModel.toString(), "");
    CliTest.Run l = CliTest.narrow("prune", local.toString(), "--run", "attribution", "--spark-conf",
        dir.resolve("local/local2.conf").toString(), "--set", "train.max_steps=1");
    assertEquals(0, l.exit(), l.err());

    String out = "s3a://models/out/attribution";
    Path localOut = dir.resolve("local/out/attribution");
    JsonNode meta = new ObjectMapper().readTree(read(out + "/experiment_metadata.json"));
    assertEquals("untied-mha", meta.get("model_name").asText());
    assertTrue(meta.get("eval_loss_final").isNumber(), "the metadata as rewritten after recovery: " + meta);
    assertTrue(narrow.train.CheckpointStore.open("s3a://models/out/attribution", conf).isComplete("final_model"));
    JsonNode s3Stats = new ObjectMapper().readTree(read(out + "/pruning_stats.json"));
    JsonNode localStats = new ObjectMapper().readTree(localOut.resolve("pruning_stats.json").toFile());
    assertEquals(localStats.get("pruned_neurons"), s3Stats.get("pruned_neurons"));
    assertEquals(localStats.get("pruned_residuals"), s3Stats.get("pruned_residuals"));
    assertEquals(localStats.get("neuron_scores"), s3Stats.get("neuron_scores"));
    for (String mask : new String[] {"pruning_mask.pt", "pruning_mask.safetensors"}) {
      assertArrayEquals(java.nio.file.Files.readAllBytes(localOut.resolve(mask)), read(out + "/" + mask), mask);
    }
  }

  static byte[] read(String uri) throws IOException {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
    try (var in = p.getFileSystem(conf).open(p)) {
      return in.readAllBytes();
    }
  }
}
