package narrow.cli;

import java.util.concurrent.Callable;
import narrow.config.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Validates a config and prints it with every default filled in: what a job would run with. */
@Command(name = "config", mixinStandardHelpOptions = true,
    description = "Validate an experiment config and print it resolved: defaults filled in (the "
        + "train: section's from Hugging Face's TrainingArguments), --run and --set applied.")
final class ConfigCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--run", paramLabel = "NAME", description = "apply this run of the experiment's grid, as train --run does")
  String run;

  @Override
  public Integer call() {
    System.out.print(ConfigLoader.toYaml(config.load(run).withTrainingDefaults(config.file)));
    return 0;
  }
}
