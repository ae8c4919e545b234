package narrow.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import narrow.data.tokenizer.TokenEncoder;
import narrow.data.tokenizer.TokenEncoders;
import narrow.data.tokenizer.TokenizerFiles;

/**
 * Single-thread tokens per second of the oracle and of the fast encoder, side by side in one
 * run on the same documents: a warm-up pass of each (which also checks that their ids agree,
 * so a speed is never reported for a wrong encoder), then rounds alternating between the two,
 * so drift in the machine's load falls on both alike; the median round counts.
 *
 * <p>{@code java narrow.bench.TokenizerBench [--tokenizer=FILE] [--seconds=N] [--rounds=N]
 * FILE_OR_DIR...} (directories: their {@code .py} files).
 */
public final class TokenizerBench {

  /** Median single-thread rates; {@code tokens} is one pass over the {@code docs} documents. */
  public record Result(
      double oracleTokensPerSec, double fastTokensPerSec, double ratio, int docs, long tokens) {

    /** The table the command line prints, for a run of {@code rounds} rounds of {@code seconds}. */
    public String report(int rounds, int seconds) {
      return String.format("%d documents, %d tokens per pass; median of %d rounds of %d s, one thread:%n"
              + "  oracle %,.0f tokens/s%n  fast   %,.0f tokens/s%n  ratio  %.1fx%n",
          docs, tokens, rounds, seconds, oracleTokensPerSec, fastTokensPerSec, ratio);
    }
  }

  private TokenizerBench() {}

  /**
   * Measures both encoders on {@code files}, each round encoding the documents over and over
   * for at least {@code secondsPerRound} (and at least once through).
   */
  public static Result run(Path tokenizerJson, List<Path> files, int secondsPerRound, int rounds) {
    List<String> docs = files.stream().map(TokenizerBench::read).toList();
    try (TokenEncoder oracle = TokenEncoders.create("oracle", tokenizerJson);
        TokenEncoder fast = TokenEncoders.create("fast", tokenizerJson)) {
      long tokens = checkAgree(oracle, fast, docs);
      double[] oracleRates = new double[rounds];
      double[] fastRates = new double[rounds];
      long nanosPerRound = secondsPerRound * 1_000_000_000L;
      for (int r = 0; r < rounds; r++) {
        oracleRates[r] = tokensPerSecond(oracle, docs, nanosPerRound);
        fastRates[r] = tokensPerSecond(fast, docs, nanosPerRound);
      }
      double oracleRate = median(oracleRates);
      double fastRate = median(fastRates);
      return new Result(oracleRate, fastRate, fastRate / oracleRate, docs.size(), tokens);
    }
  }

  public static void main(String[] args) {
    Path tokenizer = TokenizerFiles.defaultLlama31();
    int seconds = 10;
    int rounds = 5;
    List<Path> files = new ArrayList<>();
    for (String arg : args) {
      if (arg.startsWith("--tokenizer=")) tokenizer = Path.of(arg.substring(12));
      else if (arg.startsWith("--seconds=")) seconds = Integer.parseInt(arg.substring(10));
      else if (arg.startsWith("--rounds=")) rounds = Integer.parseInt(arg.substring(9));
      else files.addAll(pythonFiles(Path.of(arg)));
    }
    if (files.isEmpty()) {
      System.err.println("usage: TokenizerBench [--tokenizer=FILE] [--seconds=N] [--rounds=N] FILE_OR_DIR...");
      System.exit(2);
    }
    System.out.print(run(tokenizer, files, seconds, rounds).report(rounds, seconds));
  }

  /** One pass of each encoder; the tokens in a pass. */
  private static long checkAgree(TokenEncoder oracle, TokenEncoder fast, List<String> docs) {
    long tokens = 0;
    for (int i = 0; i < docs.size(); i++) {
      int[] expected = oracle.encode(docs.get(i));
      if (!Arrays.equals(expected, fast.encode(docs.get(i)))) {
        throw new IllegalStateException("the fast encoder differs from the oracle on document " + i);
      }
      tokens += expected.length;
    }
    return tokens;
  }

  private static double tokensPerSecond(TokenEncoder encoder, List<String> docs, long nanos) {
    long tokens = 0;
    long start = System.nanoTime();
    long elapsed;
    do {
      for (String doc : docs) tokens += encoder.encode(doc).length;
      elapsed = System.nanoTime() - start;
    } while (elapsed < nanos);
    return tokens * 1e9 / elapsed;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int mid = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  /** A file as it is, or a folder's {@code .py} files in name order. */
  public static List<Path> pythonFiles(Path fileOrDir) {
    if (!Files.isDirectory(fileOrDir)) return List.of(fileOrDir);
    try (Stream<Path> walk = Files.walk(fileOrDir)) {
      return walk.filter(p -> p.toString().endsWith(".py") && Files.isRegularFile(p)).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
