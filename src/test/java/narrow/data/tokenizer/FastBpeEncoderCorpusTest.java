package narrow.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The fast encoder against the oracle on every file of the Python standard library installed
 * here: all {@code .py} files (malformed UTF-8 decoded to U+FFFD, as the job does) and every
 * other UTF-8 text file (reST, decTest, TOML, XML, JSON, PEM, ...), up to 1 MiB each, outside
 * site-packages. CPython 3.11's library is about 37 MB of such files (2,269 files) and takes
 * about half a minute on one core, nearly all of it in the oracle; a bigger library is cut,
 * deterministically in path order, at {@link #BYTE_BUDGET} to keep the test near that.
 */
@narrow.Slow
class FastBpeEncoderCorpusTest {
  private static final long BYTE_BUDGET = 48L << 20;
  private static final int REPORTED = 10;

  private static final FastBpeEncoder fast = TestEncoders.fast();
  private static final HfOracleEncoder oracle = TestEncoders.oracle();

  @Test
  void everyStdlibFileEncodesAsTheOracleDoes() {
    Optional<Path> stdlib = PythonStdlib.locate();
    Assumptions.assumeTrue(stdlib.isPresent(), "no Python standard library on this machine");
    List<PythonStdlib.Document> docs = PythonStdlib.documents(stdlib.get(), BYTE_BUDGET);
    assertTrue(docs.size() > 1000, "expected thousands of files under " + stdlib.get() + ", found " + docs.size());

    List<String> differences = new ArrayList<>();
    long tokens = 0;
    for (PythonStdlib.Document doc : docs) {
      int[] expected = oracle.encode(doc.text());
      tokens += expected.length;
      OracleDifference.between(doc.file().toString(), fast.encode(doc.text()), expected, fast)
          .ifPresent(differences::add);
    }
    if (!differences.isEmpty()) {
      fail(differences.size() + " of " + docs.size() + " files differ from the oracle; the first:\n"
          + String.join("\n", differences.subList(0, Math.min(REPORTED, differences.size()))));
    }
    System.out.printf("%d files, %d bytes, %d tokens: all equal to the oracle%n",
        docs.size(), docs.stream().mapToLong(PythonStdlib.Document::bytes).sum(), tokens);
  }
}
