package narrow.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Hadoop's MiniYARNCluster on loopback ({@link MiniYarnMain} in a child JVM) and {@code spark-submit}
 * against it as a user on a cluster's edge node runs it: HADOOP_CONF_DIR and YARN_CONF_DIR name
 * the folder with the cluster's {@code yarn-site.xml}. Spark and narrow's dependencies are
 * "installed on every node" as a folder of links to the test classpath's jars ({@link #installedJars},
 * for {@code spark.yarn.jars=local:...}), narrow itself goes in the application jar. Every JVM,
 * and the containers the NodeManagers launched, end with {@link #close}.
 */
final class YarnCluster implements AutoCloseable {
  private final Path dir;
  private final ChildJvms jvms = new ChildJvms();

  private YarnCluster(Path dir) {
    this.dir = dir;
  }

  /** A ResourceManager and {@code nodeManagers} NodeManagers of {@code mbPerNode} MB each, under {@code dir}. */
  static YarnCluster start(Path dir, int nodeManagers, int mbPerNode) throws IOException {
    YarnCluster c = new YarnCluster(dir);
    try {
      c.jvms.linkJars(c.installedJars());
      Path conf = Files.createDirectories(c.confDir());
      // the test classes (MiniYarnMain) are a folder, which the installed jars leave out
      String testClasses;
      try {
        testClasses = Path.of(MiniYarnMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
      } catch (java.net.URISyntaxException e) {
        throw new IOException(e);
      }
      Process yarn = c.jvms.start(dir.resolve("yarn.log"), dir, Map.of("JAVA_HOME", System.getProperty("java.home")),
          List.of(testClasses), "-Xmx512m", MiniYarnMain.class.getName(), conf.toString(), Integer.toString(nodeManagers),
          Integer.toString(mbPerNode));
      awaitFile(conf.resolve("yarn-site.xml"), yarn, Duration.ofSeconds(120));
      return c;
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** The folder HADOOP_CONF_DIR names: the cluster's addresses in yarn-site.xml. */
  Path confDir() {
    return dir.resolve("hadoop-conf");
  }

  /** Spark and narrow's dependencies as every node has them installed. */
  Path installedJars() {
    return dir.resolve("installed-jars");
  }

  /** {@code spark-submit ARGS} in {@code workingDir}, its output to {@code log}, with the cluster's configuration. */
  Process submit(Path workingDir, Path log, String... args) throws IOException {
    String conf = confDir().toString();
    // what bin/spark-submit does with HADOOP_CONF_DIR: the folder goes on the JVM's class path too
    return jvms.start(log, workingDir, Map.of("HADOOP_CONF_DIR", conf, "YARN_CONF_DIR", conf), List.of(conf), "-Xmx1g",
        "org.apache.spark.deploy.SparkSubmit", args);
  }

  /** Every container's stderr (the NodeManagers keep them after an application ends), executors' and application masters'. */
  List<Path> containerLogs() throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(f -> f.endsWith("stderr") && f.getParent().getFileName().toString().startsWith("container_"))
          .sorted().toList();
    }
  }

  /** The last lines of the cluster's logs and its containers' stdout and stderr, for a failure's message. */
  String logs() {
    return ChildJvms.logs(dir);
  }

  @Override
  public void close() {
    jvms.close();
  }

  private static void awaitFile(Path file, Process owner, Duration max) throws IOException {
    long deadline = System.nanoTime() + max.toNanos();
    while (!Files.exists(file)) {
      if (!owner.isAlive()) {
        throw new IOException("the MiniYARNCluster exited with " + owner.exitValue() + ":\n" + ChildJvms.logs(file.getParent().getParent()));
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("the MiniYARNCluster did not start within " + max + ":\n" + ChildJvms.logs(file.getParent().getParent()));
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the MiniYARNCluster", e);
      }
    }
  }
}
