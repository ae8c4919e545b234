package narrow.data;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Train/validation by a fixed threshold on a hash of {@code repo_name + "/" + path}, never by a
 * random draw: a document keeps its split however the corpus around it grows or is reordered,
 * and any language can recompute it (the first 8 bytes of SHA-256 of the UTF-8 key, big-endian,
 * top 53 bits as a fraction of 1).
 */
public final class SplitAssigner {
  public static final String TRAIN = "train";
  public static final String VALIDATION = "validation";

  private SplitAssigner() {}

  /** The key the split hashes: codeparrot's repository and path within it. */
  public static String key(String repoName, String path) {
    return repoName + "/" + path;
  }

  /** Where {@code key} falls in [0, 1). */
  public static double unitHash(String key) {
    byte[] digest = sha256().digest(key.getBytes(StandardCharsets.UTF_8));
    long top = ByteBuffer.wrap(digest, 0, 8).getLong();
    return (top >>> 11) * 0x1.0p-53;
  }

  public static String splitOf(String key, double validationFraction) {
    return unitHash(key) < validationFraction ? VALIDATION : TRAIN;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }
}
