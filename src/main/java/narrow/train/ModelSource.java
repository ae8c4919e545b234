package narrow.train;

import java.nio.file.Path;

/** Where the model to train comes from: a fresh preset ({@code d256_l4_h4}) or a pretrained folder. */
public sealed interface ModelSource {

  /** A preset name the model package knows, initialised from {@code seed}. */
  record Preset(String name, long seed) implements ModelSource {}

  /** A fresh model of any configuration (tiny test models, benchmarks). */
  record Fresh(narrow.model.LlamaConfig config, long seed) implements ModelSource {}

  /**
   * A Hugging Face model folder (config.json + safetensors): a local path, or a URI Hadoop's
   * FileSystem reads ({@code s3a://}, {@code gs://}), which every JVM that loads it downloads.
   */
  record Pretrained(String location) implements ModelSource {
    public Pretrained(Path dir) {
      this(dir.toString());
    }

    /** The folder's own name (the model's name: {@code Llama-3.2-1B}). */
    public String name() {
      String s = location.replaceAll("/+$", "");
      return s.substring(s.lastIndexOf('/') + 1);
    }

    /** Its config.json, read where it is (no download). */
    public narrow.model.LlamaConfig readConfig(org.apache.hadoop.conf.Configuration conf) throws java.io.IOException {
      org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(narrow.util.Locations.hadoopPath(location),
          "config.json");
      try (java.io.InputStream in = file.getFileSystem(conf).open(file)) {
        return narrow.model.LlamaConfig.fromJson((com.fasterxml.jackson.databind.node.ObjectNode)
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(in));
      } catch (java.io.FileNotFoundException e) {
        throw new narrow.util.UserError("model.pretrained: no config.json in " + location);
      }
    }
  }
}
