package narrow.util;

/**
 * Input or configuration that the user must fix, with a message that alone says what and where
 * (the file, key, row or setting at fault). The CLI prints it without a stack trace; anything
 * else that escapes a command is a bug of ours and keeps its trace.
 */
public class UserError extends RuntimeException {
  public UserError(String message) {
    super(message);
  }

  public UserError(String message, Throwable cause) {
    super(message, cause);
  }
}
