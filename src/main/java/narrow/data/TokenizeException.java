package narrow.data;

/** A data job failed for a reason the user can act on; the message names the file or setting. */
public class TokenizeException extends RuntimeException {
  public TokenizeException(String message) {
    super(message);
  }

  public TokenizeException(String message, Throwable cause) {
    super(message, cause);
  }
}
