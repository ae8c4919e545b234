package narrow.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import narrow.config.ConfigLoader;
import narrow.config.ExperimentConfig;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The experiment file and the {@code --set key=value} overrides every config-driven command takes. */
final class ConfigOptions {
  @Parameters(index = "0", paramLabel = "CONF", description = "experiment config, e.g. conf/quickstart.yaml")
  Path file;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "override a file value, e.g. --set data.seq_len=512 (repeatable)")
  List<String> overrides = new ArrayList<>();

  ExperimentConfig load() {
    return load(null);
  }

  /** With run {@code run} of the file's grid applied first (null: none). */
  ExperimentConfig load(String run) {
    return ConfigLoader.load(file, run, overrides);
  }
}
