package narrow.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on loopback, started from Spark's own classes on the test classpath:
 * a {@code Master} and {@code Worker}s as child JVMs, and {@code spark-submit} as a user runs it
 * ({@code SparkSubmit} in a JVM of its own). A worker builds its executors' command from
 * {@code SPARK_HOME} ({@code jars/*}), so a SPARK_HOME is made whose {@code jars/} links the test
 * classpath's jars: Spark and narrow's dependencies installed on every node, narrow itself in the
 * application jar. Every JVM it started, and their children (executors), end with {@link #close},
 * or with the test JVM if the test never gets there.
 */
final class StandaloneCluster implements AutoCloseable {
  private final Path dir;
  private final List<String> jars;
  private final List<Process> started = new ArrayList<>();
  private final List<Process> workers = new ArrayList<>();
  private final Thread reaper = new Thread(this::destroyAll, "StandaloneCluster reaper");
  private final int masterPort;

  private StandaloneCluster(Path dir, List<String> jars, int masterPort) {
    this.dir = dir;
    this.jars = jars;
    this.masterPort = masterPort;
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /** A master and {@code workers} workers of {@code cores} cores and {@code memory} each, under {@code dir}. */
  static StandaloneCluster start(Path dir, int workers, int cores, String memory) throws IOException {
    List<String> jars = Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .filter(e -> e.endsWith(".jar")).toList();
    Path sparkJars = Files.createDirectories(dir.resolve("spark-home/jars"));
    Set<String> names = new HashSet<>();
    for (String jar : jars) {
      Path p = Path.of(jar);
      String name = names.add(p.getFileName().toString()) ? p.getFileName().toString() : names.size() + "-" + p.getFileName();
      Files.createSymbolicLink(sparkJars.resolve(name), p.toAbsolutePath());
    }
    StandaloneCluster c = new StandaloneCluster(dir, jars, freePort());
    try {
      c.started.add(c.jvm("master", dir, "org.apache.spark.deploy.master.Master",
          "--host", "127.0.0.1", "--port", Integer.toString(c.masterPort), "--webui-port", "0"));
      awaitPort(c.masterPort, c.started.get(0), Duration.ofSeconds(60));
      for (int i = 0; i < workers; i++) {
        Path work = Files.createDirectories(dir.resolve("worker-" + i));
        Process w = c.jvm("worker-" + i, dir, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
            "--cores", Integer.toString(cores), "--memory", memory, "--work-dir", work.toString(),
            "--webui-port", "0", c.masterUrl());
        c.started.add(w);
        c.workers.add(w);
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
    List<String> all = new ArrayList<>(List.of(args));
    Process p = new ProcessBuilder(javaCommand("-Xmx1g", "org.apache.spark.deploy.SparkSubmit", all))
        .directory(workingDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    started.add(p);
    return p;
  }

  /** narrow's compiled classes and resources as a jar: what {@code mvn package} ships, less its dependencies. */
  static Path appJar(Path jar) throws IOException {
    Path classes;
    try {
      classes = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IOException(e);
    }
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out);
        Stream<Path> files = Files.walk(classes)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
        j.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
        Files.copy(f, j);
        j.closeEntry();
      }
    }
    return jar;
  }

  private Process jvm(String name, Path workingDir, String mainClass, String... args) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(javaCommand("-Xmx256m", mainClass, List.of(args)))
        .directory(workingDir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
    // what a Spark installation's sbin scripts set; a worker builds executors' class path from them
    pb.environment().put("SPARK_HOME", dir.resolve("spark-home").toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.12");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return pb.start();
  }

  /** java with the test JVM's module openings (Spark's list for Java 17) and the Spark jars. */
  private List<String> javaCommand(String heap, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), heap));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions")
          || a.startsWith("-Djdk.reflect") || a.startsWith("-Dorg.bytedeco.javacpp.max")) {
        cmd.add(a);
      }
    }
    cmd.add("-Dlog4j2.configurationFile=" + Path.of("conf/spark/log4j2.properties").toAbsolutePath());
    cmd.addAll(List.of("-cp", String.join(java.io.File.pathSeparator, jars), mainClass));
    cmd.addAll(args);
    return cmd;
  }

  /** The last lines of every log this cluster wrote (its JVMs' and the executors'), for a failure's message. */
  String logs() {
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".log") || p.endsWith("stderr"))
          .sorted()::iterator) {
        List<String> lines = Files.readAllLines(f);
        sb.append("==> ").append(f).append('\n')
            .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()))).append('\n');
      }
    } catch (IOException e) {
      sb.append("(logs unreadable: ").append(e).append(")");
    }
    return sb.toString();
  }

  @Override
  public void close() {
    destroyAll();
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or about to
    }
  }

  /** Children first (executors), so none outlives its worker. */
  private void destroyAll() {
    for (Process p : started) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    for (Process p : started) {
      try {
        p.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        // destroyForcibly is SIGKILL: nothing more to do
      }
    }
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
