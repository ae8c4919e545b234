package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a cluster's master, a run whose paths are on the driver's disk is refused before Spark
 * starts: the master here has nothing listening, so any attempt to reach it would fail otherwise.
 */
class ClusterPathsTest {
  @TempDir Path dir;

  @Test
  void trainRefusesLocalPathsOnAStandaloneMasterInOneLine() throws Exception {
    Path conf = Files.writeString(dir.resolve("exp.yaml"), """
        experiment: x
        data: {input: %s, output: tokenized, seq_len: 32}
        model: {preset: d16_l1_h2}
        train: {output_dir: s3a://bucket/runs, max_steps: 2}
        """.formatted(dir));
    Path spark = Files.writeString(dir.resolve("cluster.conf"), "spark.master spark://127.0.0.1:9\n");
    CliTest.Run r = CliTest.narrow("train", conf.toString(), "--spark-conf", spark.toString());
    assertEquals(2, r.exit(), r.err());
    Path shards = Path.of("tokenized").toAbsolutePath();
    assertTrue(r.err().contains("data.output " + shards + " is a local path, which the executors of master "
        + "spark://127.0.0.1:9 read on their own disks"), r.err());
    String line = r.err().lines().filter(l -> l.contains("data.output")).findFirst().orElseThrow();
    assertTrue(line.startsWith("narrow train: ") && line.contains("distributed.shared_filesystem: true"), line);
    assertFalse(r.err().contains("\tat "), "no stack trace for a user error:\n" + r.err());
  }

  @Test
  void tokenizeRefusesALocalCorpusOnYarn() throws Exception {
    Path conf = Files.writeString(dir.resolve("exp.yaml"), """
        experiment: x
        data: {input: %s, output: gs://bucket/tokenized, seq_len: 32}
        """.formatted(dir));
    Path spark = Files.writeString(dir.resolve("yarn.conf"), "spark.master yarn\n");
    CliTest.Run r = CliTest.narrow("tokenize", conf.toString(), "--spark-conf", spark.toString());
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("narrow tokenize: data.input " + dir + " is a local path, which the executors of "
        + "master yarn read on their own disks"), r.err());
  }
}
