package narrow.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Documents of many megabytes: no quadratic time, no running out of memory. The oracle is too
 * slow to check 50 MB in a unit test, so the 50 MB document is copies of a 2 MB one joined by
 * {@code <|end_of_text|>}, which cuts the text exactly: its ids must be the copies' ids joined by
 * the token's id; the oracle checks a 4 MB document directly.
 */
@narrow.Slow
class FastBpeEncoderLargeDocumentTest {
  private static final long CHUNK_BYTES = 2L << 20;
  private static final int COPIES = 25;
  private static final String EOT = "<|end_of_text|>";

  private static final FastBpeEncoder fast = TestEncoders.fast();
  private static final HfOracleEncoder oracle = TestEncoders.oracle();

  @Test
  void fourMegabytesEncodeAsTheOracleDoes() {
    String chunk = stdlibChunk();
    String text = chunk + chunk;
    OracleDifference.between("4 MB document", fast.encode(text), oracle.encode(text), fast)
        .ifPresent(org.junit.jupiter.api.Assertions::fail);
  }

  @Test
  void fiftyMegabytesEncodeInLinearTime() {
    String chunk = stdlibChunk();
    int[] chunkIds = fast.encode(chunk);
    String document = String.join(EOT, java.util.Collections.nCopies(COPIES, chunk));
    long start = System.nanoTime();
    int[] ids = fast.encode(document);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    int eos = fast.info().eosId();
    int[] expected = new int[COPIES * chunkIds.length + COPIES - 1];
    for (int copy = 0, at = 0; copy < COPIES; copy++) {
      if (copy > 0) expected[at++] = eos;
      System.arraycopy(chunkIds, 0, expected, at, chunkIds.length);
      at += chunkIds.length;
    }
    assertArrayEquals(expected, ids);
    // linear time is a few seconds; a quadratic step would take hours
    assertTrue(took.toSeconds() < 60, document.length() + " chars took " + took);
    System.out.printf("%d chars, %d tokens in %d ms%n", document.length(), ids.length, took.toMillis());
  }

  /** One piece of whitespace of a megabyte: the long-piece merge path against the oracle. */
  @Test
  void aMegabyteOfWhitespaceEncodesAsTheOracleDoes() {
    String text = "x" + " ".repeat(1 << 20) + "y" + "\t".repeat(1 << 19);
    OracleDifference.between("1.5 MB of whitespace", fast.encode(text), oracle.encode(text), fast)
        .ifPresent(org.junit.jupiter.api.Assertions::fail);
  }

  /** About 2 MB of real Python, the first files of the standard library, one after another. */
  private static String stdlibChunk() {
    Optional<Path> stdlib = PythonStdlib.locate();
    Assumptions.assumeTrue(stdlib.isPresent(), "no Python standard library on this machine");
    String chunk = PythonStdlib.documents(stdlib.get(), CHUNK_BYTES).stream()
        .map(PythonStdlib.Document::text)
        .collect(Collectors.joining());
    Assumptions.assumeTrue(chunk.length() > CHUNK_BYTES / 2, "the standard library is too small");
    return chunk;
  }
}
