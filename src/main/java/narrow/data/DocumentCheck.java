package narrow.data;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns a document's raw bytes into text, or says why it is a bad record. The job reads
 * {@code code} as bytes rather than as a Spark string because Spark does not validate UTF-8:
 * a malformed document would otherwise reach the tokenizer with replacement characters.
 */
public final class DocumentCheck {
  private DocumentCheck() {}

  /** The text, or the reason it has none; {@code problem} is null when the text is good. */
  public record Result(String text, BadRecordReason problem) {
    static Result bad(BadRecordReason reason) {
      return new Result(null, reason);
    }
  }

  public static Result decode(byte[] bytes, long maxDocumentBytes) {
    if (bytes == null || bytes.length == 0) return Result.bad(BadRecordReason.EMPTY);
    // size first: a huge document is refused before anything is allocated for it
    if (maxDocumentBytes > 0 && bytes.length > maxDocumentBytes) {
      return Result.bad(BadRecordReason.TOO_LARGE);
    }
    for (byte b : bytes) {
      if (b == 0) return Result.bad(BadRecordReason.NUL_BYTES);
    }
    try {
      String text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
      return new Result(text, null);
    } catch (CharacterCodingException e) {
      return Result.bad(BadRecordReason.INVALID_UTF8);
    }
  }
}
