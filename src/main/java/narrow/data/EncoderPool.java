package narrow.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import narrow.data.tokenizer.TokenEncoder;
import narrow.data.tokenizer.TokenEncoders;

/**
 * Encoders kept per executor JVM and lent to one task at a time. Building one reads and indexes
 * the whole tokenizer.json (a second or more of CPU); a job has many more tasks than an executor
 * has threads, so without reuse that cost is paid per partition and can rival the encoding itself.
 * Encoders are not thread-safe: a borrowed one belongs to its task until given back.
 */
final class EncoderPool {
  private static final Map<String, Queue<TokenEncoder>> IDLE = new ConcurrentHashMap<>();

  private EncoderPool() {}

  /** An idle encoder for this kind and file (as it is now on disk), or a new one. */
  static TokenEncoder borrow(String kind, Path tokenizerJson) {
    TokenEncoder e = queue(kind, tokenizerJson).poll();
    return e != null ? e : TokenEncoders.create(kind, tokenizerJson);
  }

  static void giveBack(String kind, Path tokenizerJson, TokenEncoder encoder) {
    queue(kind, tokenizerJson).add(encoder);
  }

  private static Queue<TokenEncoder> queue(String kind, Path file) {
    try {
      // size and time in the key: a tokenizer file replaced in place is not served stale
      String key = kind + "|" + file.toAbsolutePath() + "|" + Files.size(file) + "|"
          + Files.getLastModifiedTime(file).toMillis();
      return IDLE.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tokenizer " + file, e);
    }
  }
}
