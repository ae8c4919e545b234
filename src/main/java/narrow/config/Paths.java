package narrow.config;

import java.nio.file.Path;
import narrow.util.Locations;

/** Local paths and remote URIs as users write them in configs. */
public final class Paths {
  private Paths() {}

  public static boolean isRemote(String path) {
    return Locations.isRemote(path);
  }

  /** {@code ~} expanded; {@code file://} stripped. */
  public static Path local(String path) {
    if (path.startsWith("file://")) path = path.substring("file://".length());
    if (path.equals("~") || path.startsWith("~/")) {
      path = System.getProperty("user.home") + path.substring(1);
    }
    return Path.of(path);
  }

  /**
   * A location as training takes it: a remote URI as written, a local path with {@code ~}
   * expanded (relative paths stay relative to the working folder).
   */
  public static String location(String path) {
    return isRemote(path) ? path : local(path).toString();
  }
}
