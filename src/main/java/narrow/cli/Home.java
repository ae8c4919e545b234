package narrow.cli;

import java.nio.file.Path;

/** The project folder (jobs/narrow passes it as -Dnarrow.home); the working directory otherwise. */
final class Home {
  private Home() {}

  static Path path(String first, String... more) {
    String home = System.getProperty("narrow.home");
    Path root = home == null || home.isBlank() ? Path.of("") : Path.of(home);
    return root.resolve(Path.of(first, more)).toAbsolutePath().normalize();
  }
}
