package narrow.cli;

import java.util.concurrent.Callable;
import narrow.config.ExperimentConfig;
import narrow.config.TokenizerLocation;
import narrow.data.TokenizeJob;
import narrow.data.TokenizeManifest;
import narrow.data.TokenizeResult;
import narrow.distributed.SharedPaths;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The Spark tokenize job of an experiment's {@code data:} section. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
    description = "Filter, dedup, split and tokenize a codeparrot-schema corpus into Parquet "
        + "shards of token ids with a manifest (the experiment's data: section).")
final class TokenizeCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;
  @Mixin SparkOptions spark;

  @Override
  public Integer call() {
    ExperimentConfig c = config.load();
    SharedPaths.checkTokenize(spark.master(), c);
    c.requireCorpus(config.file);
    try (SparkSession session = spark.session("narrow tokenize " + c.experiment())) {
      print(TokenizeJob.run(session, TokenizerLocation.resolved(c.data())));
    }
    return 0;
  }

  static void print(TokenizeResult r) {
    TokenizeManifest m = r.manifest();
    System.out.printf("tokenize: %,d rows, %,d tokens in %.1f s (%,.0f tokens/s)%n",
        r.rows(), r.tokens(), r.seconds(), r.encodedTokensPerSecond());
    m.splits().forEach((name, split) -> System.out.printf(
        "  %-10s %,d documents, %,d rows, %,d tokens, %d shards%n",
        name, split.documents(), split.rows(), split.tokens(), split.shards().size()));
    System.out.printf("  shards:   %s%n  manifest: %s/%s%n", r.output(), r.output(),
        TokenizeManifest.FILE_NAME);
  }
}
