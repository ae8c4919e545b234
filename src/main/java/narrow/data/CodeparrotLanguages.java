package narrow.data;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * File name to language, with the names and extensions of {@code codeparrot/github-code}
 * (its loading script's {@code _LANG_TO_EXTENSION}), so a locally ingested corpus filters
 * exactly like the published one. Matching is case-sensitive, as there: {@code .C} is C++,
 * {@code .c} is C; Dockerfile and Makefile match on the whole file name.
 */
public final class CodeparrotLanguages {
  private static final Map<String, String> BY_SUFFIX = new LinkedHashMap<>();

  static {
    add("Assembly", ".asm");
    add("Batchfile", ".bat", ".cmd");
    add("C", ".c", ".h");
    add("C#", ".cs");
    add("C++", ".cpp", ".hpp", ".c++", ".h++", ".cc", ".hh", ".C", ".H");
    add("CMake", ".cmake");
    add("CSS", ".css");
    add("Dockerfile", ".dockerfile", "Dockerfile");
    add("FORTRAN", ".f90", ".f", ".f03", ".f08", ".f77", ".f95", ".for", ".fpp");
    add("GO", ".go");
    add("Haskell", ".hs");
    add("HTML", ".html");
    add("Java", ".java");
    add("JavaScript", ".js");
    add("Julia", ".jl");
    add("Lua", ".lua");
    add("Makefile", "Makefile");
    add("Markdown", ".md", ".markdown");
    add("PHP", ".php", ".php3", ".php4", ".php5", ".phps", ".phpt");
    add("Perl", ".pl", ".pm", ".pod", ".perl");
    add("PowerShell", ".ps1", ".psd1", ".psm1");
    add("Python", ".py");
    add("Ruby", ".rb");
    add("Rust", ".rs");
    add("SQL", ".sql");
    add("Scala", ".scala");
    add("Shell", ".sh", ".bash", ".command", ".zsh");
    add("TypeScript", ".ts", ".tsx");
    add("TeX", ".tex");
    add("Visual Basic", ".vb");
  }

  private CodeparrotLanguages() {}

  private static void add(String language, String... suffixes) {
    for (String s : suffixes) BY_SUFFIX.put(s, language);
  }

  /** The language of a file by its name (not its path), or empty when codeparrot has none. */
  public static Optional<String> of(String fileName) {
    String whole = BY_SUFFIX.get(fileName);
    if (whole != null) return Optional.of(whole);
    int dot = fileName.lastIndexOf('.');
    if (dot <= 0) return Optional.empty(); // no extension, or a dot-file such as ".bashrc"
    return Optional.ofNullable(BY_SUFFIX.get(fileName.substring(dot)));
  }

  /** The 30 language names, sorted. */
  public static Set<String> names() {
    return Collections.unmodifiableSet(new TreeSet<>(BY_SUFFIX.values()));
  }
}
