package narrow.cli;

import java.util.concurrent.Callable;
import narrow.bench.TokenizeJobBench;
import narrow.bench.TokenizerBench;
import narrow.bench.TrainBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Benchmarks, not tests: each measures the things it compares side by side in one run, so the
 * ratios hold on a shared, noisy machine. Arguments after the name go to the benchmark.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Run a benchmark: tokenizer (fast encoder vs Hugging Face, tokens/s per core), "
        + "tokenize-job (Spark job on local[1] and local[2] vs the raw encoder), "
        + "train (training tokens/s, MFU, memory, vs eager PyTorch when /usr/bin/python3 has torch).")
final class BenchCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "NAME", description = "tokenizer | tokenize-job | train")
  String name;

  @Parameters(index = "1..*", paramLabel = "ARG", description = "the benchmark's own arguments")
  String[] args = new String[0];

  @Override
  public Integer call() throws Exception {
    switch (name) {
      case "tokenizer" -> TokenizerBench.main(args);
      case "tokenize-job" -> TokenizeJobBench.main(args);
      case "train" -> TrainBench.main(args);
      default -> throw new IllegalArgumentException(
          "no benchmark '" + name + "'; there are: tokenizer, tokenize-job, train");
    }
    return 0;
  }
}
