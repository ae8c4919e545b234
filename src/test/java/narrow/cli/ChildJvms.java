package narrow.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * The JVMs a cluster test starts (cluster daemons, {@code spark-submit}) with the test JVM's
 * classpath and module openings. Every one of them, and their children (executors, containers),
 * ends with {@link #close}, or with the test JVM if the test never gets there.
 */
final class ChildJvms implements AutoCloseable {
  /** The test classpath's jars: Spark and narrow's dependencies, as a cluster's nodes have them installed. */
  final List<String> jars = Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
      .filter(e -> e.endsWith(".jar")).toList();
  private final List<Process> started = new ArrayList<>();
  private final Thread reaper = new Thread(this::destroyAll, "ChildJvms reaper");

  ChildJvms() {
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /**
   * java {@code mainClass args} in {@code workingDir}, its output to {@code log}, with {@code env}
   * added to this JVM's environment and {@code extraClassPath} before the jars.
   */
  Process start(Path log, Path workingDir, Map<String, String> env, List<String> extraClassPath, String heap,
      String mainClass, String... args) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(javaCommand(heap, extraClassPath, mainClass, List.of(args)))
        .directory(workingDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    started.add(p);
    return p;
  }

  /** Links to every jar in {@code folder}: an installation's {@code jars/} (a name seen twice gets a prefix). */
  Path linkJars(Path folder) throws IOException {
    Files.createDirectories(folder);
    Set<String> names = new HashSet<>();
    for (String jar : jars) {
      Path p = Path.of(jar);
      String name = names.add(p.getFileName().toString()) ? p.getFileName().toString() : names.size() + "-" + p.getFileName();
      Files.createSymbolicLink(folder.resolve(name), p.toAbsolutePath());
    }
    return folder;
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

  /** java with the test JVM's module openings (Spark's list for Java 17) and the Spark jars. */
  private List<String> javaCommand(String heap, List<String> extraClassPath, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), heap));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions")
          || a.startsWith("-Djdk.reflect") || a.startsWith("-Dorg.bytedeco.javacpp.max")) {
        cmd.add(a);
      }
    }
    cmd.add("-Dlog4j2.configurationFile=" + Path.of("conf/spark/log4j2.properties").toAbsolutePath());
    List<String> cp = new ArrayList<>(extraClassPath);
    cp.addAll(jars);
    cmd.addAll(List.of("-cp", String.join(java.io.File.pathSeparator, cp), mainClass));
    cmd.addAll(args);
    return cmd;
  }

  /** A child's whole log, or a line saying why it cannot be read (a failure's message must not fail). */
  static String readLog(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(" + log + " unreadable: " + e + ")";
    }
  }

  /** Seconds between two {@link System#nanoTime} readings. */
  static double seconds(long from, long to) {
    return (to - from) / 1e9;
  }

  /** The last lines of every log under {@code dir} (the JVMs' and the executors'), for a failure's message. */
  static String logs(Path dir) {
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

  /** Children first (executors, containers), so none outlives the JVM that started it. */
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
}
