package narrow.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A source tree of small Python modules, the corpus the cluster tests ingest. */
final class TinyPythonTree {
  private TinyPythonTree() {}

  /** {@code files} modules under {@code root/repo/pkg/}, each a little different, some non-ASCII. */
  static Path write(Path root, int files) throws IOException {
    Path pkg = Files.createDirectories(root.resolve("repo/pkg"));
    for (int i = 0; i < files; i++) {
      Files.writeString(pkg.resolve("m" + i + ".py"), """
          import os


          def f%d(x, y=%d):
              \"\"\"Add things; héllo wörld.\"\"\"
              return x + y * %d  # comment

          class C%d:
              pass
          """.formatted(i, i, i, i));
    }
    return root;
  }
}
