package narrow.util;

import org.apache.hadoop.fs.Path;

/**
 * Where a dataset or a run's output lives, written as users write it: a local path, or a URI of
 * a Hadoop file system ({@code s3a://bucket/key}, {@code gs://…}, {@code hdfs://…}). A path
 * without a scheme is always the local disk, never Hadoop's default file system (which is HDFS
 * on a cluster), so a location means the same on a laptop and on EMR.
 */
public final class Locations {
  private Locations() {}

  /** Whether {@code location} names a file system other than the local one. */
  public static boolean isRemote(String location) {
    return location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") && !location.startsWith("file://");
  }

  /** The Hadoop path of a location: a remote URI as is, a local path absolute under {@code file:}. */
  public static Path hadoopPath(String location) {
    if (isRemote(location)) return new Path(location);
    String local = location.startsWith("file://") ? location.substring("file://".length()) : location;
    // scheme and path apart: a ':' in a folder name is not taken for a scheme
    return new Path("file", null, java.nio.file.Path.of(local).toAbsolutePath().normalize().toString());
  }

  /** A local location as a path: {@code ~} expanded, {@code file://} stripped. */
  public static java.nio.file.Path localPath(String location) {
    String path = location.startsWith("file://") ? location.substring("file://".length()) : location;
    if (path.equals("~") || path.startsWith("~/")) path = System.getProperty("user.home") + path.substring(1);
    return java.nio.file.Path.of(path);
  }

  /**
   * A location as a config gives it to the stages: a remote URI as written, a local path with
   * {@code ~} expanded and made absolute against this process's working folder. Executors run in
   * folders of their own, so a relative path handed to them would name another place.
   */
  public static String expanded(String location) {
    return isRemote(location) ? location : localPath(location).toAbsolutePath().normalize().toString();
  }

  /** {@code name} inside the folder {@code location}, spelled the way the folder is. */
  public static String child(String location, String name) {
    if (!isRemote(location)) return java.nio.file.Path.of(location).resolve(name).toString();
    return location.replaceAll("/+$", "") + "/" + name;
  }
}
