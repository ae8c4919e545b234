package narrow.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Spark standalone cluster on loopback, started from Spark's own classes on the test classpath:
 * a {@code Master} and {@code Worker}s as child JVMs, and {@code spark-submit} as a user runs it
 * ({@code SparkSubmit} in a JVM of its own). A worker builds its executors' command from
 * {@code SPARK_HOME} ({@code jars/*}), so a SPARK_HOME is made whose {@code jars/} links the test
 * classpath's jars: Spark and narrow's dependencies installed on every node, narrow itself in the
 * application jar. Every JVM it started, and their children (executors), end with {@link #close}
 * ({@link ChildJvms}).
 */
final class StandaloneCluster implements AutoCloseable {
  private final Path dir;
  private final ChildJvms jvms = new ChildJvms();
  private final List<Process> workers = new ArrayList<>();
  private final int masterPort;

  private StandaloneCluster(Path dir, int masterPort) {
    this.dir = dir;
    this.masterPort = masterPort;
  }

  /** A master and {@code workers} workers of {@code cores} cores and {@code memory} each, under {@code dir}. */
  static StandaloneCluster start(Path dir, int workers, int cores, String memory) throws IOException {
    StandaloneCluster c = new StandaloneCluster(dir, freePort());
    try {
      c.jvms.linkJars(dir.resolve("spark-home/jars"));
      Process master = c.jvm("master", dir, "org.apache.spark.deploy.master.Master",
          "--host", "127.0.0.1", "--port", Integer.toString(c.masterPort), "--webui-port", "0");
      awaitPort(c.masterPort, master, Duration.ofSeconds(60));
      for (int i = 0; i < workers; i++) {
        Path work = Files.createDirectories(dir.resolve("worker-" + i));
        c.workers.add(c.jvm("worker-" + i, dir, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
            "--cores", Integer.toString(cores), "--memory", memory, "--work-dir", work.toString(),
            "--webui-port", "0", c.masterUrl()));
      }
      return c;
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  /** Worker {@code i}'s work folder: an application's executors run (and log) in app-ID/N below it. */
  Path workDir(int i) {
    return dir.resolve("worker-" + i);
  }

  /** The executors worker {@code i} runs now (its child JVMs). */
  List<ProcessHandle> executors(int i) {
    return workers.get(i).children().filter(ProcessHandle::isAlive).toList();
  }

  /**
   * {@code spark-submit ARGS} in {@code workingDir}, its output to {@code log}: a narrow
   * application jar of the compiled main classes, which executors fetch from the driver.
   */
  Process submit(Path workingDir, Path log, String... args) throws IOException {
    return jvms.start(log, workingDir, Map.of(), List.of(), "-Xmx1g", "org.apache.spark.deploy.SparkSubmit", args);
  }

  private Process jvm(String name, Path workingDir, String mainClass, String... args) throws IOException {
    // what a Spark installation's sbin scripts set; a worker builds executors' class path from them
    Map<String, String> env = Map.of("SPARK_HOME", dir.resolve("spark-home").toString(), "SPARK_SCALA_VERSION", "2.12",
        "SPARK_LOCAL_IP", "127.0.0.1");
    return jvms.start(dir.resolve(name + ".log"), workingDir, env, List.of(), "-Xmx256m", mainClass, args);
  }

  /** The last lines of every log this cluster wrote (its JVMs' and the executors'), for a failure's message. */
  String logs() {
    return ChildJvms.logs(dir);
  }

  @Override
  public void close() {
    jvms.close();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Workers that find no master retry only after seconds, so they start once it listens. */
  private static void awaitPort(int port, Process owner, Duration max) throws IOException {
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      if (!owner.isAlive()) throw new IOException("the Spark master exited with " + owner.exitValue());
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while waiting for the Spark master", e);
        }
      }
    }
    throw new IOException("the Spark master did not listen on port " + port + " within " + max);
  }
}
