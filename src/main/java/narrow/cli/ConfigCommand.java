package narrow.cli;

import java.util.concurrent.Callable;
import narrow.config.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Validates a config and prints it with every default filled in: what a job would run with. */
@Command(name = "config", mixinStandardHelpOptions = true,
    description = "Validate an experiment config and print it resolved (defaults and --set applied).")
final class ConfigCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Override
  public Integer call() {
    System.out.print(ConfigLoader.toYaml(config.load()));
    return 0;
  }
}
