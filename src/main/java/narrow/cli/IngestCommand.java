package narrow.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import narrow.data.CorpusIngest;
import narrow.data.IngestResult;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A source tree → Parquet in the codeparrot/github-code schema. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = "Turn a source tree into Parquet rows in the codeparrot/github-code schema "
        + "(code, repo_name, path, language, license, size); language from the file extension.")
final class IngestCommand implements Callable<Integer> {
  @Option(names = "--from", required = true, paramLabel = "DIR", description = "source tree to walk")
  Path from;

  @Option(names = "--out", required = true, paramLabel = "PATH", description = "output folder (local or s3a://)")
  String out;

  @Option(names = "--license", defaultValue = CorpusIngest.DEFAULT_LICENSE,
      description = "license column value (default: ${DEFAULT-VALUE})")
  String license;

  @Option(names = "--max-file-bytes", defaultValue = "" + CorpusIngest.DEFAULT_MAX_FILE_BYTES,
      description = "skip (and count) larger files; 0 keeps all (default: ${DEFAULT-VALUE}, as codeparrot)")
  long maxFileBytes;

  @Option(names = "--overwrite", description = "replace an existing output")
  boolean overwrite;

  @Mixin SparkOptions spark;

  @Override
  public Integer call() {
    try (SparkSession session = spark.session("narrow ingest")) {
      IngestResult r = CorpusIngest.run(session, from, out, overwrite, license, maxFileBytes);
      print(r);
    }
    return 0;
  }

  static void print(IngestResult r) {
    System.out.printf("ingest: %d files -> %s%n  by language: %s%n"
            + "  left out: %d of other extensions, %d binary, %d not UTF-8, %d too large%n",
        r.rows(), r.output(), r.byLanguage(), r.otherExtension(), r.binary(), r.undecodable(),
        r.tooLarge());
  }
}
