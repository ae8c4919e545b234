package narrow.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small source trees written on the spot, with the awkward cases a real checkout has. */
final class TestCorpus {
  private TestCorpus() {}

  /** A distinct Python file: identifiers, digits, non-ASCII, tabs, CRLF, long whitespace runs. */
  static String python(int i) {
    StringBuilder sb = new StringBuilder();
    sb.append("# module ").append(i).append(" — résumé 😀 数据\n");
    sb.append("import os\n\n\ndef f_").append(i).append("(x, y=").append(i * 7919).append("):\r\n");
    sb.append("\treturn x + y  # tab-indented\n");
    for (int k = 0; k < i % 7 + 1; k++) {
      sb.append("class C").append(i).append('_').append(k).append(":\n    value = ")
          .append(k * 3.25).append("\n    name = 'n").append(i * 31 + k).append("'\n\n");
    }
    sb.append(" ".repeat(i % 40)).append("pass\n");
    return sb.toString();
  }

  /** {@code n} Python files over two repositories, plus one duplicate, an empty file, C, a README,
   * a binary .py and a Latin-1 .py. */
  static void write(Path root, int n) throws IOException {
    for (int i = 0; i < n; i++) {
      String repo = i % 2 == 0 ? "repoA" : "repoB";
      put(root.resolve(repo).resolve("pkg/mod" + i + ".py"), python(i));
    }
    put(root.resolve("repoA/pkg/dup_of_mod0.py"), python(0));
    put(root.resolve("repoB/empty.py"), "");
    put(root.resolve("repoB/lib.c"), "int main(void) { return 0; }\n");
    put(root.resolve("repoB/README"), "not code\n");
    put(root.resolve("top.py"), "print('top')\n");
    Files.write(root.resolve("repoB/blob.py"), new byte[] {'a', 0, 0, 1, 2});
    Files.write(root.resolve("repoB/latin1.py"), "s = 'caf\u00e9'\n".getBytes(StandardCharsets.ISO_8859_1));
  }

  static void put(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }
}
