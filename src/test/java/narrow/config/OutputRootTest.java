package narrow.config;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code output_root:}, the study's tree: each run writes {@code <output_root>/<experiment>/<run>/}. */
class OutputRootTest {
  @TempDir Path dir;

  private Path write(String trainAndRoot) throws IOException {
    Path corpus = Files.createDirectories(dir.resolve("corpus"));
    return Files.writeString(dir.resolve("exp.yaml"), """
        experiment: demo
        data: {input: %s, output: tokenized, seq_len: 32}
        model: {preset: d16_l1_h2}
        %s
        runs:
          small: {model.preset: d16_l1_h2}
          wide: {model.preset: d32_l1_h2}
        """.formatted(corpus, trainAndRoot));
  }

  private static String runDir(Path file, String run, String... overrides) {
    return TrainingPlan.of(ConfigLoader.load(file, run, List.of(overrides)), file).args().outputDir();
  }

  @Test
  void eachRunWritesUnderTheRootTheExperimentAndTheRun() throws IOException {
    Path file = write("output_root: " + dir.resolve("study") + "\ntrain: {max_steps: 2}");
    assertEquals(dir.resolve("study/demo/wide").toString(), runDir(file, "wide"));
    // a relative root is made absolute against the working folder, as every local path of a run is
    assertEquals(Path.of("study/demo/small").toAbsolutePath().toString(), runDir(file, "small",
        "output_root=study"));
    assertEquals("s3a://bucket/study/demo/small", runDir(file, "small", "output_root=s3a://bucket/study/"));
    // the experiment's folder as `narrow config` shows the train: section
    ExperimentConfig c = ConfigLoader.load(file, "small", List.of()).withTrainingDefaults(file);
    assertEquals(dir.resolve("study").resolve("demo").toString(), c.train().get("output_dir"));
  }

  @Test
  void withoutARootOutputDirIsTheExperimentsFolderAsBefore() throws IOException {
    Path file = write("train: {output_dir: " + dir.resolve("elsewhere") + ", max_steps: 2}");
    assertEquals(dir.resolve("elsewhere/small").toString(), runDir(file, "small"));
    ConfigException none = assertThrows(ConfigException.class,
        () -> TrainingPlan.of(ConfigLoader.load(write("train: {max_steps: 2}"), "small", List.of()), file));
    assertTrue(none.getMessage().contains("key 'train.output_dir': is required (the experiment's folder), or set "
        + "output_root (the study's folder)"), none.getMessage());
  }

  @Test
  void anOutputDirThatSaysOtherwiseIsAConfigErrorNamingBoth() throws IOException {
    Path file = write("output_root: " + dir.resolve("study") + "\ntrain: {output_dir: " + dir.resolve("elsewhere")
        + ", max_steps: 2}");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, "small", List.of()));
    assertEquals(file + ": invalid configuration\n  - key 'train.output_dir': " + dir.resolve("elsewhere")
        + " is not " + dir.resolve("study/demo") + ", the folder output_root " + dir.resolve("study")
        + " gives experiment demo: leave train.output_dir out (it follows output_root), or leave output_root out",
        e.getMessage());
    // the same folder, spelled with a trailing slash, agrees
    Path same = write("output_root: " + dir.resolve("study") + "\ntrain: {output_dir: " + dir.resolve("study/demo")
        + "/, max_steps: 2}");
    assertEquals(dir.resolve("study/demo/small").toString(), runDir(same, "small"));
  }

  @Test
  void theGridsRunNamesComeInTheFilesOrder() throws IOException {
    Path file = write("output_root: study\ntrain: {max_steps: 2}");
    assertEquals(List.of("small", "wide"), ConfigLoader.runNames(file));
    Files.writeString(file, Files.readString(file).replace("  small:", "  zeta:"));
    assertEquals(List.of("zeta", "wide"), ConfigLoader.runNames(file));
  }
}
