package narrow.config;

import java.nio.file.Path;

/** Local paths and remote URIs as users write them in configs. */
public final class Paths {
  private Paths() {}

  public static boolean isRemote(String path) {
    return path.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") && !path.startsWith("file://");
  }

  /** {@code ~} expanded; {@code file://} stripped. */
  public static Path local(String path) {
    if (path.startsWith("file://")) path = path.substring("file://".length());
    if (path.equals("~") || path.startsWith("~/")) {
      path = System.getProperty("user.home") + path.substring(1);
    }
    return Path.of(path);
  }
}
