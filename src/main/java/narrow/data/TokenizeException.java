package narrow.data;

import narrow.util.UserError;

/** A data job failed for a reason the user can act on; the message names the file or setting. */
public class TokenizeException extends UserError {
  public TokenizeException(String message) {
    super(message);
  }

  public TokenizeException(String message, Throwable cause) {
    super(message, cause);
  }
}
