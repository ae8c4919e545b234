package narrow.config;

import java.util.List;

/** The language names of the codeparrot/github-code corpus, as its `language` column spells them. */
final class CodeparrotNames {
  static final List<String> LANGUAGES = List.of(
      "Assembly", "Batchfile", "C", "C#", "C++", "CMake", "CSS", "Dockerfile", "FORTRAN", "GO",
      "HTML", "Haskell", "Java", "JavaScript", "Julia", "Lua", "Makefile", "Markdown", "PHP",
      "Perl", "PowerShell", "Python", "Ruby", "Rust", "SQL", "Scala", "Shell", "TeX",
      "TypeScript", "Visual Basic");

  private CodeparrotNames() {}
}
