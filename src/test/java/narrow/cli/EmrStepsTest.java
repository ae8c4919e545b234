package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * jobs/emr/: one {@code aws emr add-steps --steps file://...} JSON per experiment, and the cluster's
 * YARN configuration. They must parse, and each step must submit {@code narrow run} of its own
 * experiment into the study's tree, with as many executors as replicas.
 */
class EmrStepsTest {
  private static final Path EMR = Path.of("jobs", "emr");
  private static final List<String> EXPERIMENTS =
      List.of("trainscratch01", "pruneandtrain01", "pruneandtrainrandom00", "tuneprune15-redo", "distillscratch00");
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void everyExperimentHasAStepThatSubmitsItsOwnConfig() throws IOException {
    for (String experiment : EXPERIMENTS) {
      Path file = EMR.resolve(experiment + ".json");
      JsonNode steps = json.readTree(file.toFile());
      assertTrue(steps.isArray() && steps.size() == 1, file + ": one step");
      JsonNode step = steps.get(0);
      assertEquals("command-runner.jar", step.path("Jar").asText(), file.toString());
      List<String> args = new ArrayList<>();
      step.path("Args").forEach(a -> args.add(a.asText()));
      assertEquals("spark-submit", args.get(0), file.toString());
      assertEquals("/opt/narrow/conf/spark/emr-gpu.conf", after(args, "--properties-file"), file.toString());
      assertTrue(after(args, "--files").endsWith("/conf/" + experiment + ".yaml"), file.toString());
      assertEquals("narrow.cli.Main", after(args, "--class"), file.toString());
      int jar = args.indexOf("s3://BUCKET/narrow/narrow-app.jar");
      assertTrue(jar > 0, file + ": the small jar");
      assertEquals(List.of("run", experiment + ".yaml"), args.subList(jar + 1, jar + 3),
          file + ": narrow run of the shipped config");
      assertTrue(args.contains("output_root=s3a://BUCKET/narrow/study"), file + ": the study's one tree");
      assertTrue(args.stream().noneMatch(a -> a.startsWith("train.output_dir=")),
          file + ": train.output_dir follows output_root");
      assertEquals("distributed.replicas=" + after(args, "--num-executors"),
          args.stream().filter(a -> a.startsWith("distributed.replicas=")).findFirst().orElse(null),
          file + ": one executor per replica");
    }
  }

  @Test
  void theClusterConfigurationParsesAndSchedulesGpus() throws IOException {
    JsonNode configurations = json.readTree(EMR.resolve("configurations.json").toFile());
    List<String> classifications = new ArrayList<>();
    configurations.forEach(c -> classifications.add(c.path("Classification").asText()));
    assertTrue(classifications.containsAll(List.of("yarn-site", "container-executor", "capacity-scheduler")),
        classifications.toString());
  }

  @Test
  void theNodeScriptsAreValidBash() throws Exception {
    for (Path script : List.of(EMR.resolve("bootstrap.sh"), Path.of("jobs", "dataproc", "install-natives.sh"))) {
      assertTrue(Files.isExecutable(script), script.toString());
      Process p = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      assertEquals(0, p.waitFor(), script + ": " + out);
    }
  }

  private static String after(List<String> args, String option) {
    int i = args.indexOf(option);
    assertTrue(i >= 0 && i + 1 < args.size(), option + " missing from " + args);
    return args.get(i + 1);
  }
}
