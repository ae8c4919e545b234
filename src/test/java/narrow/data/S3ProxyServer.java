package narrow.data;

import com.amazonaws.auth.AWSStaticCredentialsProvider;
import com.amazonaws.auth.BasicAWSCredentials;
import com.amazonaws.client.builder.AwsClientBuilder;
import com.amazonaws.services.s3.AmazonS3;
import com.amazonaws.services.s3.AmazonS3ClientBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * A real S3-compatible server (S3Proxy, in-memory store) on loopback, in its own JVM: its
 * Jetty 11 cannot share Spark's classpath. Credentials are generated per run.
 */
public final class S3ProxyServer implements AutoCloseable {
  public final String endpoint;
  public final String accessKey;
  public final String secretKey;
  private final Process process;

  private S3ProxyServer(String endpoint, String accessKey, String secretKey, Process process) {
    this.endpoint = endpoint;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.process = process;
  }

  /** Tries this many free ports: another process may take the one picked before S3Proxy binds it. */
  private static final int PORT_ATTEMPTS = 5;

  public static S3ProxyServer start(Path workDir) throws IOException, InterruptedException {
    String jar = System.getProperty("narrow.s3proxy.jar", "target/s3proxy/s3proxy.jar");
    if (!Files.isReadable(Path.of(jar))) throw new IllegalStateException("S3Proxy jar missing: " + jar);
    for (int attempt = 1; ; attempt++) {
      try {
        return startOnAFreePort(workDir, jar);
      } catch (PortTaken e) {
        if (attempt == PORT_ATTEMPTS) throw new IllegalStateException(e.getMessage() + " on each of " + attempt + " ports");
      }
    }
  }

  /** S3Proxy exited while starting: the port picked was taken in between (or it could not bind). */
  private static final class PortTaken extends Exception {
    PortTaken(String message) {
      super(message);
    }
  }

  private static S3ProxyServer startOnAFreePort(Path workDir, String jar)
      throws IOException, InterruptedException, PortTaken {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    SecureRandom random = new SecureRandom();
    String access = "AK" + HexFormat.of().formatHex(random.generateSeed(8)).toUpperCase();
    String secret = HexFormat.of().formatHex(random.generateSeed(20));
    String endpoint = "http://127.0.0.1:" + port;
    Path props = workDir.resolve("s3proxy.properties");
    Files.writeString(props, String.join("\n",
        "s3proxy.endpoint=" + endpoint,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + access,
        "s3proxy.credential=" + secret,
        "jclouds.provider=transient",
        "jclouds.identity=" + access,
        "jclouds.credential=" + secret,
        ""));
    Path log = workDir.resolve("s3proxy.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(List.of(java, "-Xmx512m", "-jar", jar, "--properties", props.toString()))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    S3ProxyServer server = new S3ProxyServer(endpoint, access, secret, p);
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) throw new PortTaken("S3Proxy exited while starting: " + Files.readString(log));
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return server;
      } catch (IOException notYet) {
        Thread.sleep(200);
      }
    }
    server.close();
    throw new IllegalStateException("S3Proxy did not open port " + port + ": " + Files.readString(log));
  }

  /** The s3a settings that reach this server (Hadoop keys; Spark takes them with "spark.hadoop."). */
  public Map<String, String> s3aSettings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("fs.s3a.endpoint", endpoint);
    s.put("fs.s3a.endpoint.region", "us-east-1");
    s.put("fs.s3a.path.style.access", "true");
    s.put("fs.s3a.connection.ssl.enabled", "false");
    s.put("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    s.put("fs.s3a.access.key", accessKey);
    s.put("fs.s3a.secret.key", secretKey);
    s.put("fs.s3a.attempts.maximum", "2");
    s.put("fs.s3a.retry.limit", "2");
    return s;
  }

  /** A Hadoop configuration with {@link #s3aSettings()}. */
  public Configuration hadoopConfiguration() {
    Configuration conf = new Configuration();
    s3aSettings().forEach(conf::set);
    return conf;
  }

  public void createBucket(String name) {
    AmazonS3 client = AmazonS3ClientBuilder.standard()
        .withEndpointConfiguration(new AwsClientBuilder.EndpointConfiguration(endpoint, "us-east-1"))
        .withPathStyleAccessEnabled(true)
        .withCredentials(new AWSStaticCredentialsProvider(new BasicAWSCredentials(accessKey, secretKey)))
        .build();
    try {
      client.createBucket(name);
    } finally {
      client.shutdown();
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
