package narrow.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A Python with Hugging Face transformers and torch 2, for checks against transformers itself:
 * {@code NARROW_HF_PYTHON}, else {@code target/hf-venv/bin/python} (which {@code .ci/run} makes
 * where pip can install transformers). Tests that need it are skipped without it.
 */
final class HfTransformers {
  private HfTransformers() {}

  private static Boolean available;

  static Path python() {
    String env = System.getenv("NARROW_HF_PYTHON");
    return env != null && !env.isBlank() ? Path.of(env) : Path.of("target", "hf-venv", "bin", "python");
  }

  static synchronized boolean available() {
    if (available == null) {
      try {
        available = Files.isExecutable(python())
            && run(List.of("-c", "import transformers, safetensors, torch")) != null;
      } catch (IOException | InterruptedException e) {
        available = false;
      }
    }
    return available;
  }

  /** Runs the interpreter with {@code args}; returns the last line printed. */
  static String run(List<String> args) throws IOException, InterruptedException {
    return narrow.model.io.PythonTorch.runWith(python().toString(), args);
  }
}
