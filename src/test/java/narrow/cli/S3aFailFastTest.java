package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import narrow.data.S3ProxyServer;
import narrow.train.TestShardsAccess;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An {@code s3a://} location that cannot be reached, or reached without credentials, fails
 * {@code narrow train} within a minute (Hadoop's own retry settings hang it for minutes) with one
 * line that names the location, the endpoint and what to check. The Spark properties set no
 * retry limits, as a user's would not: narrow's defaults must do it.
 */
@narrow.Slow
class S3aFailFastTest {
  static final Duration DEADLINE = Duration.ofSeconds(60);
  static S3ProxyServer s3;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    FileSystem.closeAll();
    s3 = S3ProxyServer.start(dir);
    s3.createBucket("fast");
  }

  @AfterEach
  void forgetClients() throws IOException {
    FileSystem.closeAll(); // Hadoop caches a client per bucket, whatever its settings
  }

  @AfterAll
  static void stop() throws IOException {
    FileSystem.closeAll();
    if (s3 != null) s3.close();
  }

  /** A port that nothing listens on: bound once by this test, then closed. */
  static int refusedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static Path sparkConf(String name, Map<String, String> s3a) throws IOException {
    return Files.writeString(dir.resolve(name), s3a.entrySet().stream()
        .map(e -> "spark.hadoop." + e.getKey() + " " + e.getValue()).collect(Collectors.joining("\n", "", "\n")));
  }

  /** How a user reaches a store of their own: endpoint and keys, no retry settings. */
  static Map<String, String> store(String endpoint) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("fs.s3a.endpoint", endpoint);
    s.put("fs.s3a.path.style.access", "true");
    s.put("fs.s3a.connection.ssl.enabled", "false");
    s.put("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    s.put("fs.s3a.access.key", s3.accessKey);
    s.put("fs.s3a.secret.key", s3.secretKey);
    return s;
  }

  static Path experiment(String name, String data, String outputDir) throws IOException {
    return Files.writeString(dir.resolve(name), """
        experiment: fast
        data: {input: %s, output: %s, seq_len: 24}
        model: {preset: d16_l1_h2}
        train: {output_dir: "%s", max_steps: 1, per_device_train_batch_size: 2, bf16: false}
        """.formatted(dir, data, outputDir));
  }

  static CliTest.Run trainWithin(Path experiment, Path sparkConf) {
    return assertTimeoutPreemptively(DEADLINE,
        () -> CliTest.narrow("train", experiment.toString(), "--spark-conf", sparkConf.toString()));
  }

  static void assertOneLine(CliTest.Run r, String... parts) {
    assertEquals(2, r.exit(), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace:\n" + r.err());
    String line = r.err().lines().filter(l -> l.startsWith("narrow train: ")).findFirst().orElse(r.err());
    for (String part : parts) assertTrue(line.contains(part), part + " in:\n" + r.err());
  }

  @Test
  void anOutputDirBehindARefusedPortFailsWithinAMinute() throws Exception {
    String endpoint = "http://127.0.0.1:" + refusedPort();
    Path data = TestShardsAccess.learnable(dir.resolve("data-out"), 318, 318, 24, true, 8, 2, 1);
    CliTest.Run r = trainWithin(experiment("out.yaml", data.toString(), "s3a://fast/experiments"),
        sparkConf("refused.conf", store(endpoint)));
    assertOneLine(r, "cannot reach s3a://fast/experiments/d16_l1_h2", "endpoint " + endpoint, "connection refused",
        "spark.hadoop.fs.s3a.endpoint");
  }

  @Test
  void anInputOnAnUnknownHostFailsWithinAMinute() throws Exception {
    // .invalid never resolves (RFC 6761)
    CliTest.Run r = trainWithin(experiment("in.yaml", "s3a://fast/tokenized", dir.resolve("runs").toString()),
        sparkConf("unknown.conf", store("http://store.narrow.invalid:9000")));
    assertOneLine(r, "cannot reach s3a://fast/tokenized", "endpoint http://store.narrow.invalid:9000",
        "unknown host", "spark.hadoop.fs.s3a.endpoint");
  }

  @Test
  void missingCredentialsSaySoAndWhereTheyComeFrom() throws Exception {
    Map<String, String> noKeys = store(s3.endpoint);
    noKeys.remove("fs.s3a.access.key");
    noKeys.remove("fs.s3a.secret.key");
    CliTest.Run r = trainWithin(experiment("creds.yaml", "s3a://fast/tokenized", "s3a://fast/experiments"),
        sparkConf("nokeys.conf", noKeys));
    assertOneLine(r, "no AWS credentials for s3a://fast/experiments", "endpoint " + s3.endpoint,
        "spark.hadoop.fs.s3a.access.key", "AWS_ACCESS_KEY_ID", "fs.s3a.aws.credentials.provider");
  }

  @Test
  void aUsersRetrySettingsWinOverNarrowsDefaults() throws Exception {
    Path file = sparkConf("retries.conf", Map.of("fs.s3a.retry.limit", "9"));
    Configuration conf = LocalSpark.hadoopConfiguration(file);
    assertEquals("9", conf.get("fs.s3a.retry.limit"));
    assertEquals("1", conf.get("fs.s3a.attempts.maximum"), "Hadoop's own is 20");
  }
}
