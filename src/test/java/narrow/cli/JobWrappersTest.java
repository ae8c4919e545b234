package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import narrow.engine.NativeMemory;
import org.junit.jupiter.api.Test;

/**
 * The jobs/&lt;experiment&gt; wrappers print the spark-submit of {@code narrow run} they run: the
 * printed line, read back by bash, must be exactly the command (paths absolute, a path with a space
 * one word), and --output is the study's tree (output_root).
 */
class JobWrappersTest {
  private static final Path ROOT = Path.of("").toAbsolutePath();

  @Test
  void trainscratch01OnAStandaloneMasterSizesTheApplicationByItsReplicas() throws Exception {
    Result r = run("jobs/trainscratch01", "--master", "spark://127.0.0.1:7077",
        "--properties", "conf/spark/standalone-cpu.conf", "--data", "s3a://bucket/shards",
        "--output", "runs/my out", "--replicas", "2", "--print", "d256_l4_h4",
        "--", "--set", "train.max_steps=10");
    assertEquals(0, r.exitCode, r.output);
    List<String> words = words(r.output);
    assertDriverEnvironment(words);
    assertEquals(List.of("spark-submit", "--master", "spark://127.0.0.1:7077", "--deploy-mode", "client",
        "--properties-file", ROOT + "/conf/spark/standalone-cpu.conf",
        // 2 replicas x spark.executor.cores 8 of the property file
        "--conf", "spark.cores.max=16",
        "--class", "narrow.cli.Main", ROOT + "/target/narrow-app.jar",
        "run", ROOT + "/conf/trainscratch01.yaml", "--run", "d256_l4_h4",
        "--set", "data.output=s3a://bucket/shards",
        "--set", "output_root=" + ROOT + "/runs/my out",
        "--set", "distributed.replicas=2",
        "--set", "train.max_steps=10"), words.subList(4, words.size()));
  }

  @Test
  void pruneandtrain01OnYarnInClusterModeShipsItsConfigAndNamesTheBaseModel() throws Exception {
    Result r = run("jobs/pruneandtrain01", "--master", "yarn", "--properties", "conf/spark/dataproc-gpu.conf",
        "--data", "gs://bucket/shards", "--output", "gs://bucket/runs", "--models", "gs://bucket/models",
        "--replicas", "4", "--deploy-mode", "cluster", "--jar", "gs://bucket/narrow/narrow-app.jar",
        "--print", "n0.50_r0.50");
    assertEquals(0, r.exitCode, r.output);
    List<String> words = words(r.output);
    assertDriverEnvironment(words);
    assertEquals(List.of("spark-submit", "--master", "yarn", "--deploy-mode", "cluster",
        "--properties-file", ROOT + "/conf/spark/dataproc-gpu.conf", "--num-executors", "4",
        "--files", ROOT + "/conf/pruneandtrain01.yaml",
        "--class", "narrow.cli.Main", "gs://bucket/narrow/narrow-app.jar",
        "run", "pruneandtrain01.yaml", "--run", "n0.50_r0.50",
        "--set", "data.output=gs://bucket/shards",
        "--set", "output_root=gs://bucket/runs",
        "--set", "model.pretrained=gs://bucket/models/Llama-3.2-1B",
        "--set", "distributed.replicas=4"), words.subList(4, words.size()));
  }

  @Test
  void aDistillationRunGetsTheTeacherItsNameSays() throws Exception {
    Result r = run("jobs/distillscratch00", "--master", "yarn", "--properties", "conf/spark/emr-gpu.conf",
        "--data", "s3a://b/shards", "--output", "s3a://b/runs", "--models", "s3a://b/models", "--print",
        "d512_l8_h8_llama3.1-8b");
    assertEquals(0, r.exitCode, r.output);
    assertTrue(words(r.output).contains("distill.teacher=s3a://b/models/Llama-3.1-8B"), r.output);

    Result oneTeacher = run("jobs/distillscratch00", "--master", "yarn", "--properties", "conf/spark/emr-gpu.conf",
        "--data", "s3a://b/shards", "--output", "s3a://b/study", "--models", "s3a://b/models", "--print",
        "*_llama3.2-3b");
    assertEquals(0, oneTeacher.exitCode, oneTeacher.output);
    List<String> words = words(oneTeacher.output);
    assertEquals(List.of("--run", "*_llama3.2-3b"), words.subList(words.indexOf("--run"), words.indexOf("--run") + 2));
    assertTrue(words.contains("distill.teacher=s3a://b/models/Llama-3.2-3B"), oneTeacher.output);
  }

  /** --set distill.teacher holds for every run picked, so one submission cannot span both teachers. */
  @Test
  void distillationRunsOfTwoTeachersAreRefusedWithExitCode2() throws Exception {
    List<String> base = List.of("jobs/distillscratch00", "--master", "yarn", "--properties", "conf/spark/emr-gpu.conf",
        "--data", "s3a://b/shards", "--output", "s3a://b/study", "--models", "s3a://b/models", "--print");
    Result all = run(base.toArray(String[]::new));
    assertEquals(2, all.exitCode, all.output);
    assertEquals("jobs/distillscratch00: every run (no RUN) spans two teachers, and distill.teacher is one per"
        + " submission: name one teacher's runs, '*_llama3.1-8b' or '*_llama3.2-3b'", all.output.strip());

    List<String> glob = new ArrayList<>(base);
    glob.add("d256_l4_h4_*");
    Result both = run(glob.toArray(String[]::new));
    assertEquals(2, both.exitCode, both.output);
    assertEquals("jobs/distillscratch00: run 'd256_l4_h4_*' names no teacher: a run or glob of one teacher's runs"
        + " ends in _llama3.1-8b or _llama3.2-3b (conf/distillscratch00.yaml lists the runs)", both.output.strip());
  }

  /** Without RUN the whole grid goes in one application: no --run, so narrow run takes every run. */
  @Test
  void withoutARunTheWholeGridIsSubmittedIntoTheStudysTree() throws Exception {
    Result r = run("jobs/tuneprune15-redo", "--master", "yarn", "--properties", "conf/spark/yarn-cpu.conf",
        "--data", "s3a://b/shards", "--output", "s3a://b/study", "--models", "s3a://b/models", "--print",
        "--", "--dry-run");
    assertEquals(0, r.exitCode, r.output);
    List<String> words = words(r.output);
    assertEquals(List.of("--class", "narrow.cli.Main", ROOT + "/target/narrow-app.jar",
        "run", ROOT + "/conf/tuneprune15-redo.yaml",
        "--set", "data.output=s3a://b/shards",
        "--set", "output_root=s3a://b/study",
        "--set", "model.pretrained=s3a://b/models/Llama-3.2-1B",
        "--dry-run"), words.subList(words.indexOf("--class"), words.size()));
  }

  @Test
  void twoRunsAreRefusedWithExitCode2() throws Exception {
    Result r = run("jobs/trainscratch01", "--master", "yarn", "--properties", "conf/spark/yarn-cpu.conf",
        "--data", "s3a://b/shards", "--output", "s3a://b/study", "--print", "d256_l4_h4", "d512_l8_h8");
    assertEquals(2, r.exitCode, r.output);
    assertEquals("jobs/trainscratch01: one RUN (a name or a quoted glob, or none for every run): 'd256_l4_h4' and"
        + " 'd512_l8_h8'", r.output.strip());
  }

  @Test
  void aMissingSettingIsNamedWithExitCode2() throws Exception {
    Result noData = run("jobs/tuneprune15-redo", "--master", "yarn", "--properties", "conf/spark/yarn-cpu.conf",
        "--output", "s3a://b/runs", "--print", "lambda_0.0005_bs_18_acc_6");
    assertEquals(2, noData.exitCode, noData.output);
    assertEquals("jobs/tuneprune15-redo: --data is required (--help)", noData.output.strip());

    Result noModels = run("jobs/pruneandtrainrandom00", "--master", "yarn", "--properties",
        "conf/spark/yarn-cpu.conf", "--data", "s3a://b/shards", "--output", "s3a://b/runs", "--print", "n0.50_r0.20");
    assertEquals(2, noModels.exitCode, noModels.output);
    assertEquals("jobs/pruneandtrainrandom00: --models is required: pruneandtrainrandom00 reads Llama-3.2-1B from it",
        noModels.output.strip());

    Result noFile = run("jobs/trainscratch01", "--master", "yarn", "--properties", "conf/spark/nope.conf",
        "--data", "s3a://b/shards", "--output", "s3a://b/runs", "--print", "d256_l4_h4");
    assertEquals(2, noFile.exitCode, noFile.output);
    assertEquals("jobs/trainscratch01: --properties conf/spark/nope.conf: no such file (conf/spark/ has one per"
        + " cluster kind)", noFile.output.strip());
  }

  /** The driver runs in spark-submit's environment: the line starts with the allocator settings. */
  private static void assertDriverEnvironment(List<String> words) {
    Set<String> expected = NativeMemory.glibc().entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.toSet());
    assertEquals(expected, Set.copyOf(words.subList(0, 4)), words.toString());
  }

  /** The printed line split into words as bash reads it. */
  private static List<String> words(String printed) throws Exception {
    Result r = exec(List.of("bash", "-c", "eval \"words=($1)\" && printf '%s\\n' \"${words[@]}\"", "_",
        printed.strip()));
    assertEquals(0, r.exitCode, r.output);
    return List.of(r.output.split("\n"));
  }

  private static Result run(String... command) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash"));
    cmd.addAll(List.of(command));
    return exec(cmd);
  }

  private static Result exec(List<String> command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    // the wrapper's own choices, not this JVM's: Surefire sets the allocator variables already
    pb.environment().keySet().removeIf(name -> name.startsWith("MALLOC_") || name.equals("SPARK_HOME"));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(p.waitFor(), out);
  }

  private record Result(int exitCode, String output) {}
}
