package narrow.report;

/** Names of the report's files made from experiment and run names. */
final class FileNames {
  private FileNames() {}

  /** {@code name} with every character a URL or a shell would need escaped made {@code _}. */
  static String safe(String name) {
    return name.replaceAll("[^A-Za-z0-9._-]", "_");
  }
}
