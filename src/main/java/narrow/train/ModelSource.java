package narrow.train;

import java.nio.file.Path;

/** Where the model to train comes from: a fresh preset ({@code d256_l4_h4}) or a pretrained folder. */
public sealed interface ModelSource {

  /** A preset name the model package knows, initialised from {@code seed}. */
  record Preset(String name, long seed) implements ModelSource {}

  /** A fresh model of any configuration (tiny test models, benchmarks). */
  record Fresh(narrow.model.LlamaConfig config, long seed) implements ModelSource {}

  /** A Hugging Face model folder (config.json + safetensors). */
  record Pretrained(Path dir) implements ModelSource {}
}
