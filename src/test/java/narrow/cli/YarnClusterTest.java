package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import narrow.util.CompleteFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * narrow on YARN as EMR and Dataproc run it: Hadoop's MiniYARNCluster (two NodeManagers on
 * loopback) and {@code spark-submit --master yarn --deploy-mode client} from a working folder
 * whose config has relative paths, with HADOOP_CONF_DIR naming the cluster's configuration. A
 * 2-replica training runs its replicas in two YARN containers (executors) and writes the final
 * model where the relative path says.
 */
@narrow.Slow
class YarnClusterTest {
  private static final String RUN = "d16_l1_h2";

  @TempDir Path dir;

  @Test
  void twoReplicasTrainInYarnContainers() throws Exception {
    Path work = Files.createDirectories(dir.resolve("experiment"));
    TinyPythonTree.write(dir.resolve("src"), 8);
    Files.writeString(work.resolve("exp.yaml"), """
        experiment: yarn
        data: {input: corpus, output: tokenized, seq_len: 32, validation_fraction: 0.1}
        model: {preset: %s, seed: 7}
        train: {output_dir: experiments/yarn, learning_rate: 1.0e-3, max_steps: 8, per_device_train_batch_size: 1,
                logging_steps: 4, eval_steps: 0, save_steps: 4, save_total_limit: 1, bf16: false}
        distributed: {replicas: 2, timeout_seconds: 30, shared_filesystem: true}
        """.formatted(RUN));
    // the corpus and its shards are made here (local Spark, this JVM): the cluster's part is the training
    CliTest.Run ingest = CliTest.narrow("ingest", "--from", dir.resolve("src").toString(),
        "--out", work.resolve("corpus").toString());
    assertEquals(0, ingest.exit(), ingest.err());
    CliTest.Run tokenize = CliTest.narrow("tokenize", work.resolve("exp.yaml").toString(),
        "--set", "data.input=" + work.resolve("corpus"), "--set", "data.output=" + work.resolve("tokenized"));
    assertEquals(0, tokenize.exit(), tokenize.err());
    ChildJvms.appJar(work.resolve("narrow-app.jar"));

    List<String> figures = new ArrayList<>();
    long t0 = System.nanoTime();
    try (YarnCluster yarn = YarnCluster.start(dir.resolve("yarn"), 2, 4096)) {
      long t1 = System.nanoTime();
      figures.add(String.format("MiniYARNCluster up in %.1f s", ChildJvms.seconds(t0, t1)));
      // what a user's properties file for YARN needs here: Spark and narrow's dependencies are
      // installed on every node (spark.yarn.jars=local:), and each container is sized as
      // conf/spark/yarn-cpu.conf sizes it (libtorch's memory counts against the overhead)
      Files.writeString(work.resolve("yarn.conf"), """
          spark.driver.host                 127.0.0.1
          spark.driver.bindAddress          127.0.0.1
          spark.ui.enabled                  false
          spark.dynamicAllocation.enabled   false
          spark.executor.instances          2
          spark.executor.cores              1
          spark.executor.memory             512m
          spark.executor.memoryOverhead     768m
          spark.yarn.am.memory              256m
          spark.sql.shuffle.partitions      2
          spark.yarn.jars                   local:%s/*
          spark.yarn.stagingDir             file:%s
          spark.executor.extraJavaOptions   -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -Dorg.bytedeco.javacpp.maxBytes=0
          """.formatted(yarn.installedJars(), dir.resolve("staging")));
      try {
        assertTimeoutPreemptively(Duration.ofMinutes(6), () -> {
          Path log = work.resolve("train.log");
          Process p = yarn.submit(work, log, "--master", "yarn", "--deploy-mode", "client",
              "--properties-file", "yarn.conf", "--class", "narrow.cli.Main", "narrow-app.jar", "train", "exp.yaml");
          int exit = p.waitFor();
          String out = Files.readString(log);
          figures.add(String.format("2-replica training on YARN %.1f s", ChildJvms.seconds(t1, System.nanoTime())));
          assertEquals(0, exit, out);
          assertTrue(out.contains("train: replica 0 of 2 on executor"), out);
          assertTrue(out.lines().anyMatch(l -> l.contains("step 8/8")), out);
          assertTrue(Files.exists(work.resolve("experiments/yarn/" + RUN + "/final_model/" + CompleteFolder.MARKER)), out);
          // both replicas ran in YARN containers: the container that printed replica 0's line ran
          // barrier task 0 (the last task it started before that line), another ran task 1 of that stage
          List<Path> containers = yarn.containerLogs();
          Path first = containers.stream().filter(c -> ChildJvms.readLog(c).contains("train: replica 0 of 2 on executor"))
              .findFirst().orElseThrow(() -> new AssertionError("no container printed replica 0's line: " + containers));
          String firstLog = ChildJvms.readLog(first);
          Matcher started = Pattern.compile("Running task (\\d+)\\.\\d+ in stage (\\d+)\\.")
              .matcher(firstLog.substring(0, firstLog.indexOf("train: replica 0 of 2")));
          String task = null, stage = null;
          while (started.find()) {
            task = started.group(1);
            stage = started.group(2);
          }
          assertEquals("0", task, "replica 0's task in " + first + ":\n" + firstLog);
          Pattern task1 = Pattern.compile("Running task 1\\.\\d+ in stage " + stage + "\\.");
          List<Path> second = containers.stream().filter(c -> !c.equals(first) && task1.matcher(ChildJvms.readLog(c)).find()).toList();
          assertEquals(1, second.size(), "one other container ran replica 1: " + containers);
          figures.add("replicas in " + first.getParent().getFileName() + " and " + second.get(0).getParent().getFileName());
          figures.add("the driver said:\n" + out.lines().filter(l -> l.startsWith("narrow") || l.startsWith("train"))
              .reduce("", (a, b) -> a + "  " + b + "\n"));
        }, () -> "\n" + String.join("\n", figures) + "\n" + yarn.logs());
      } finally {
        figures.forEach(System.out::println);
      }
    }
  }
}
