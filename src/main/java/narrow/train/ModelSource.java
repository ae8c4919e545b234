package narrow.train;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import narrow.model.LlamaConfig;
import narrow.util.Locations;
import narrow.util.ObjectStores;
import narrow.util.UserError;
import org.apache.hadoop.conf.Configuration;

/**
 * Where the model to train comes from: a fresh preset ({@code d256_l4_h4}) or a pretrained folder.
 * Serializable: it travels to replicas inside {@link TrainSpec}.
 */
public sealed interface ModelSource extends java.io.Serializable {

  /** A preset name the model package knows, initialised from {@code seed}. */
  record Preset(String name, long seed) implements ModelSource {}

  /** A fresh model of any configuration (tiny test models, benchmarks). */
  record Fresh(LlamaConfig config, long seed) implements ModelSource {}

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
    public LlamaConfig readConfig(Configuration conf) throws IOException {
      org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(Locations.hadoopPath(location), "config.json");
      try (InputStream in = ObjectStores.reach(file, conf).open(file)) {
        return LlamaConfig.read(in, Locations.child(location, "config.json"));
      } catch (FileNotFoundException e) {
        throw new UserError("model.pretrained: no config.json in " + location);
      }
    }
  }
}
