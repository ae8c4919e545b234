package narrow.config;

import narrow.util.UserError;

/** A configuration that cannot run: the message names the file and the key at fault. */
public final class ConfigException extends UserError {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
