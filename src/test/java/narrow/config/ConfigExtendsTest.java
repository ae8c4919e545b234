package narrow.config;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config that extends another ({@code extends:}) and names paths inside its study's tree with
 * {@code ${output_root}}: how the quickstart's experiments share one corpus and trainer.
 */
class ConfigExtendsTest {
  @TempDir Path dir;

  private Path write(String name, String yaml) throws IOException {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    Files.writeString(file, yaml);
    return file;
  }

  @Test
  void aFileOverridesItsBaseKeyByKeyAndKeepsItsOwnGrid() throws IOException {
    write("base.yaml", "experiment: base\ndata: {input: in, output: shards, seq_len: 64}\n"
        + "model: {preset: d64_l2_h2}\ntrain: {output_dir: runs, learning_rate: 0.001, max_steps: 10}\n"
        + "runs:\n  from_base: {train.max_steps: 3}\n");
    Path child = write("exp/child.yaml", "extends: ../base.yaml\nexperiment: child\n"
        + "train: {max_steps: 20}\nruns:\n  small: {model.preset: d32_l2_h2}\n");
    ExperimentConfig c = ConfigLoader.load(child, "small", List.of());
    assertEquals("child", c.experiment());
    assertEquals(64, c.data().seqLen(), "the base's data section");
    assertEquals(20L, ((Number) c.train().get("max_steps")).longValue(), "the file's own value wins");
    assertEquals(0.001, ((Number) c.train().get("learning_rate")).doubleValue(), "the base's other keys stay");
    assertEquals("d32_l2_h2", c.model().preset(), "the run of the file's own grid");
    assertEquals(List.of("small"), ConfigLoader.runNames(child), "a base's grid is not inherited");
  }

  @Test
  void aMissingBaseOrALoopIsNamed() throws IOException {
    Path lonely = write("lonely.yaml", "extends: nowhere.yaml\nexperiment: x\n");
    String m = assertThrows(ConfigException.class, () -> ConfigLoader.load(lonely, List.of())).getMessage();
    assertTrue(m.startsWith(lonely + ": key 'extends': no such config file " + dir.resolve("nowhere.yaml")), m);

    write("a.yaml", "extends: b.yaml\nexperiment: a\n");
    Path b = write("b.yaml", "extends: a.yaml\nexperiment: b\n");
    m = assertThrows(ConfigException.class, () -> ConfigLoader.load(b, List.of())).getMessage();
    assertTrue(m.contains("extends this file again"), m);
  }

  @Test
  void outputRootIsSubstitutedInPathsAndAskedForWhenMissing() throws IOException {
    Path file = write("prune.yaml", "experiment: p\noutput_root: s3a://bucket/study/\n"
        + "data: {input: in, output: s3a://bucket/shards}\n"
        + "model: {pretrained: '${output_root}/trainscratch01/d64_l2_h2/final_model'}\n");
    assertEquals("s3a://bucket/study/trainscratch01/d64_l2_h2/final_model",
        ConfigLoader.load(file, List.of()).model().pretrained());
    assertEquals("s3a://other/trainscratch01/d64_l2_h2/final_model",
        ConfigLoader.load(file, List.of("output_root=s3a://other")).model().pretrained(), "a --set output_root moves it too");

    Path without = write("bare.yaml", "experiment: p\ndata: {input: in, output: shards}\n"
        + "model: {pretrained: '${output_root}/x'}\n");
    String m = assertThrows(ConfigException.class, () -> ConfigLoader.load(without, List.of())).getMessage();
    assertTrue(m.contains("key 'model.pretrained' uses ${output_root} but the config sets no output_root"), m);
  }

  @Test
  void theQuickstartsExperimentsLoad() {
    for (String name : List.of("trainscratch01", "distillscratch00", "pruneandtrain01", "pruneandtrainrandom00",
        "tuneprune15-redo", "pruneandtrainnorm00")) {
      Path file = Path.of("conf", "quickstart", name + ".yaml");
      // a base model or teacher must exist when a config is loaded: here, where the quickstart has
      // not made them, any folder
      List<String> teacher = switch (name) {
        case "trainscratch01" -> List.of();
        case "distillscratch00" -> List.of("distill.teacher=" + dir);
        default -> List.of("model.pretrained=" + dir);
      };
      for (String run : ConfigLoader.runNames(file)) {
        ExperimentConfig c = ConfigLoader.load(file, run, teacher);
        assertEquals(name, c.experiment());
        assertEquals(Path.of("runs/quickstart/study").toAbsolutePath().toString(),
            narrow.util.Locations.expanded(c.outputRoot()), name);
      }
    }
  }
}
