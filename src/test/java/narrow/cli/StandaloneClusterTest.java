package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import narrow.util.CompleteFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * narrow on a real Spark standalone cluster (a master and two 1-core workers on loopback), driven
 * by {@code spark-submit} in client mode the way a user drives it, from a working folder whose
 * config has relative paths: tokenize, a 2-replica training (which must wait for the
 * executors to register before it counts its task slots), and the same training again with one
 * executor killed right after a checkpoint is committed: Spark retries the barrier stage on a
 * fresh executor, the replicas resume from the newest complete checkpoint, and the final weights
 * equal the uninterrupted run's byte for byte.
 */
@narrow.Slow
class StandaloneClusterTest {
  private static final String RUN = "d16_l1_h2";

  @TempDir Path dir;

  @Test
  void twoReplicasTrainOnAStandaloneClusterAndALostExecutorLosesNothing() throws Exception {
    Path work = Files.createDirectories(dir.resolve("experiment"));
    TinyPythonTree.write(dir.resolve("src"), 24);
    // the corpus is made here (local Spark, this JVM): the cluster's part starts at tokenize
    CliTest.Run ingest = CliTest.narrow("ingest", "--from", dir.resolve("src").toString(),
        "--out", work.resolve("corpus").toString());
    assertEquals(0, ingest.exit(), ingest.err());
    // the compiled classes as a thin jar, or -Dnarrow.cluster.jar=target/narrow.jar (after mvn package) to
    // measure what shipping the shaded jar costs
    String shipped = System.getProperty("narrow.cluster.jar");
    if (shipped == null) ChildJvms.appJar(work.resolve("narrow-app.jar"));
    else Files.copy(Path.of(shipped), work.resolve("narrow-app.jar"));
    // what a user's properties file for a standalone cluster needs (shuffle partitions: Spark's default
    // 200 are 200 tasks on these 2 cores); the log4j2 option only times the
    // executors' fetch of the jar (millisecond log lines)
    Path executorLog = Files.writeString(dir.resolve("executor-log4j2.properties"), """
        rootLogger.level = warn
        rootLogger.appenderRef.stderr.ref = console
        appender.console.type = Console
        appender.console.name = console
        appender.console.target = SYSTEM_ERR
        appender.console.layout.type = PatternLayout
        appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex
        logger.fetch.name = org.apache.spark.executor.Executor
        logger.fetch.level = info
        logger.utils.name = org.apache.spark.util.Utils
        logger.utils.level = info
        """);
    Files.writeString(work.resolve("cluster.conf"), """
        spark.driver.host                 127.0.0.1
        spark.driver.bindAddress          127.0.0.1
        spark.ui.enabled                  false
        spark.dynamicAllocation.enabled   false
        spark.executor.memory             768m
        spark.sql.shuffle.partitions      2
        spark.executor.extraJavaOptions   -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -Dorg.bytedeco.javacpp.maxBytes=0 \
                                          -Dlog4j2.configurationFile=%s
        """.formatted(executorLog));
    Files.writeString(work.resolve("exp.yaml"), """
        experiment: standalone
        data: {input: corpus, output: tokenized, seq_len: 32, validation_fraction: 0.1}
        model: {preset: %s, seed: 7}
        train: {output_dir: experiments/plain, learning_rate: 1.0e-3, max_steps: 60, per_device_train_batch_size: 1,
                logging_steps: 10, eval_steps: 0, save_steps: 20, save_total_limit: 2, bf16: false}
        distributed: {replicas: 2, timeout_seconds: 15, shared_filesystem: true}
        """.formatted(RUN));

    try (StandaloneCluster cluster = StandaloneCluster.start(dir.resolve("cluster"), 2, 1, "1g")) {
      List<String> figures = new ArrayList<>();
      try {
        assertTimeoutPreemptively(Duration.ofMinutes(8), () -> {
          long t0 = System.nanoTime();
          submitted(cluster, work, "tokenize", "tokenize", "exp.yaml");
          assertTrue(Files.exists(work.resolve("tokenized/_SUCCESS")), "the shards are where the relative path says");
          long t1 = System.nanoTime();
          String plain = submitted(cluster, work, "train-plain", "train", "exp.yaml");
          long t2 = System.nanoTime();
          Path plainModel = work.resolve("experiments/plain/" + RUN + "/final_model/model.safetensors");
          assertTrue(Files.exists(plainModel), plain);
          figures.add(String.format("tokenize %.1f s, 2-replica training %.1f s", ChildJvms.seconds(t0, t1),
              ChildJvms.seconds(t1, t2)));
          // the spark-submit console shows where the replicas run and replica 0's progress
          assertTrue(plain.contains("train: replica 0 of 2 on executor"), plain);
          assertTrue(plain.lines().anyMatch(l -> l.contains("step 60/60")), plain);

          // one replica trains on an executor too, not in the driver on the submitting host
          String one = submitted(cluster, work, "train-one", "train", "exp.yaml", "--set", "distributed.replicas=1",
              "--set", "train.max_steps=4", "--set", "train.output_dir=experiments/one");
          assertTrue(one.contains("train: replica 0 of 1 on executor"), one);
          assertTrue(Files.exists(work.resolve("experiments/one/" + RUN + "/final_model/" + CompleteFolder.MARKER)), one);
  
          Path killedRun = work.resolve("experiments/killed/" + RUN);
          Process p = cluster.submit(work, work.resolve("train-killed.log"), submitArgs(cluster, "train", "exp.yaml",
              "--set", "train.output_dir=experiments/killed"));
          Path committed = killedRun.resolve("checkpoint-20").resolve(CompleteFolder.MARKER);
          while (!Files.exists(committed)) {
            assertTrue(p.isAlive(),
                () -> "the run ended before checkpoint-20:\n" + ChildJvms.readLog(work.resolve("train-killed.log")));
            Thread.sleep(20); // a poll: the kill must land while steps 21..60 remain
          }
          List<ProcessHandle> executors = cluster.executors(1);
          assertEquals(1, executors.size(), "worker 1 runs one executor");
          ProcessHandle victim = executors.get(0);
          long killedAt = System.nanoTime();
          assertTrue(victim.destroyForcibly(), "SIGKILL to executor " + victim.pid());
          assertEquals(0, p.waitFor(), ChildJvms.readLog(work.resolve("train-killed.log")));
          String killedLog = ChildJvms.readLog(work.resolve("train-killed.log"));
          assertTrue(killedLog.contains("): resumed from checkpoint-"), "the console says where the retry resumed:\n" + killedLog);
          long done = System.nanoTime();
          assertFalse(victim.isAlive());
          // the lost executor's worker started another for the retried stage
          Path app = newestApp(cluster.workDir(1));
          try (Stream<Path> executorDirs = Files.list(app)) {
            assertEquals(2, executorDirs.count(), "executors of " + app);
          }
          assertArrayEquals(Files.readAllBytes(plainModel),
              Files.readAllBytes(killedRun.resolve("final_model/model.safetensors")),
              "the interrupted run's final weights equal the uninterrupted run's");
          figures.add(String.format("killed run: %.1f s in all, %.1f s from the kill (executor %d, after checkpoint-20"
              + " of 60 steps) to the end", ChildJvms.seconds(t2, done), ChildJvms.seconds(killedAt, done), victim.pid()));
          figures.add("the driver said:\n" + ChildJvms.readLog(work.resolve("train-killed.log")).lines()
              .filter(l -> l.startsWith("narrow")).reduce("", (a, b) -> a + "  " + b + "\n"));
        }, () -> "\n" + String.join("\n", figures) + "\n" + cluster.logs());
      } finally {
        figures.add("jar fetch per executor (ms): " + jarFetches(cluster));
        figures.forEach(System.out::println);
      }
    }
  }

  /** spark-submit ARGS in the working folder; fails with its output unless it exits 0. */
  private static String submitted(StandaloneCluster cluster, Path work, String name, String... narrowArgs)
      throws Exception {
    Path log = work.resolve(name + ".log");
    Process p = cluster.submit(work, log, submitArgs(cluster, narrowArgs));
    int exit = p.waitFor();
    String out = ChildJvms.readLog(log);
    assertEquals(0, exit, name + ":\n" + out);
    return out;
  }

  /** The spark-submit line a user types (the README gives the same), less the leading spark-submit. */
  static String[] submitArgs(StandaloneCluster cluster, String... narrowArgs) {
    List<String> a = new ArrayList<>(List.of("--master", cluster.masterUrl(), "--deploy-mode", "client",
        "--properties-file", "cluster.conf", "--class", "narrow.cli.Main", "narrow-app.jar"));
    a.addAll(List.of(narrowArgs));
    return a.toArray(String[]::new);
  }

  /**
   * Per executor of every application, milliseconds from its first "Fetching spark://...narrow-app.jar"
   * line to "Adding ...narrow-app.jar to class loader".
   */
  private static List<Long> jarFetches(StandaloneCluster cluster) {
    List<Long> ms = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      try (Stream<Path> files = Files.walk(cluster.workDir(w))) {
        for (Path stderr : files.filter(f -> f.endsWith("stderr")).toList()) {
          Long from = null;
          for (String line : Files.readAllLines(stderr)) {
            if (!line.contains("narrow-app.jar") || line.length() < 12) continue;
            long at = java.time.LocalTime.parse(line.substring(0, 12)).toNanoOfDay() / 1_000_000;
            if (from == null && line.contains("Fetching spark://")) from = at;
            if (from != null && line.contains("to class loader")) {
              ms.add(at - from);
              break;
            }
          }
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return ms;
  }

  private static Path newestApp(Path workerDir) throws Exception {
    try (Stream<Path> apps = Files.list(workerDir)) {
      return apps.filter(p -> p.getFileName().toString().startsWith("app-")).max(Path::compareTo).orElseThrow();
    }
  }
}
