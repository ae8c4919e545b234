package narrow.data;

import java.util.Map;

/**
 * What a tokenize run returns to its caller.
 *
 * @param output the committed dataset folder (qualified: {@code file:/…} or {@code s3a://…})
 * @param seconds wall time of the whole run
 * @param encodedTokensPerSecond ids out of the encoder per second of wall time: the job's speed
 * @param phaseSeconds wall time of each phase (prepare, count, tokenize_and_write, commit)
 */
public record TokenizeResult(String output, TokenizeManifest manifest, double seconds,
    double encodedTokensPerSecond, Map<String, Double> phaseSeconds) {

  public long rows() {
    return manifest.splits().values().stream().mapToLong(TokenizeManifest.Split::rows).sum();
  }

  public long tokens() {
    return manifest.splits().values().stream().mapToLong(TokenizeManifest.Split::tokens).sum();
  }
}
