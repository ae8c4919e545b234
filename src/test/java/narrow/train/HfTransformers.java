package narrow.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import narrow.model.io.PythonTorch;
import org.junit.jupiter.api.Assumptions;

/**
 * Hugging Face transformers, for checks against transformers itself: the Python of
 * {@link PythonTorch} when it also has transformers and safetensors (the build's venv has them).
 */
final class HfTransformers {
  private HfTransformers() {}

  private static Boolean available;

  static Path python() {
    return PythonTorch.python();
  }

  static synchronized boolean available() {
    if (available == null) available = PythonTorch.available() && PythonTorch.importable("transformers, safetensors");
    return available;
  }

  /** Aborts the calling test unless transformers is at hand, and records {@code check} as not run. */
  static void assumeAvailable(String check) {
    if (!available()) {
      String reason = "no Python with torch, transformers and safetensors (tried " + python()
          + "; set NARROW_HF_PYTHON)";
      PythonTorch.recordSkipped(check, reason);
      Assumptions.abort(reason);
    }
  }

  /** Runs the interpreter with {@code args}; returns the last line printed. */
  static String run(List<String> args) throws IOException, InterruptedException {
    return PythonTorch.runWith(python().toString(), args);
  }
}
