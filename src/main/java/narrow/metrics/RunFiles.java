package narrow.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import narrow.model.LlamaConfig;
import narrow.prune.ExperimentMetadata;
import narrow.prune.PruningStats;
import narrow.train.CheckpointStore;
import narrow.train.Checkpoints;
import narrow.train.RunFolder;
import narrow.train.Trainer;
import narrow.train.TrainerState;
import narrow.train.TrainingArguments;
import narrow.util.Locations;
import narrow.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What one run folder holds, read with the files' own readers: the trainer state, arguments and
 * config of {@code final_model/} when it is complete, else of the newest complete checkpoint; and
 * beside them {@code model_stats.json}, {@code experiment_metadata.json} and
 * {@code pruning_stats.json} where the run wrote them. Null where a file is missing.
 *
 * @param status {@code done} (final_model complete), {@code partial} (a complete checkpoint only)
 *     or {@code empty}
 */
record RunFiles(StudyTree.RunLocation where, String status, TrainerState state, TrainingArguments args,
    LlamaConfig config, JsonNode modelStats, JsonNode metadata, PruningStats.Contents pruning) {
  static final String DONE = "done", PARTIAL = "partial", EMPTY = "empty";
  private static final ObjectMapper JSON = new ObjectMapper();

  String experiment() {
    return where.experiment();
  }

  String run() {
    return where.run();
  }

  /**
   * Reads run folder {@code where}.
   *
   * @throws UserError naming the file when one the run wrote cannot be read
   */
  static RunFiles read(StudyTree.RunLocation where, FileSystem fs, Configuration conf) throws IOException {
    CheckpointStore store = CheckpointStore.open(where.location(), conf);
    String folder = null;
    String status = EMPTY;
    String latest;
    if (store.isComplete(Trainer.FINAL_MODEL)) {
      folder = store.location(Trainer.FINAL_MODEL);
      status = DONE;
    } else if ((latest = store.latest()) != null) {
      folder = latest;
      status = PARTIAL;
    }
    TrainerState state = null;
    TrainingArguments args = null;
    LlamaConfig config = null;
    if (folder != null) {
      String dir = folder;
      state = parse(folder, Checkpoints.TRAINER_STATE, conf, TrainerState::read);
      args = optional(fs, folder, Checkpoints.TRAINING_ARGS_JSON, conf, TrainingArguments::readJson);
      config = optional(fs, folder, "config.json", conf,
          in -> LlamaConfig.read(in, Locations.child(dir, "config.json")));
    }
    String run = where.location();
    return new RunFiles(where, status, state, args, config,
        optional(fs, run, RunFolder.MODEL_STATS, conf, JSON::readTree),
        optional(fs, run, ExperimentMetadata.FILE, conf, JSON::readTree),
        optional(fs, run, PruningStats.FILE, conf, PruningStats::read));
  }

  /** Jackson's message without the source it appends on lines of their own. */
  private static String oneLine(Exception e) {
    if (e instanceof com.fasterxml.jackson.core.JsonProcessingException j && j.getLocation() != null) {
      return "line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr() + ": "
          + j.getOriginalMessage().lines().findFirst().orElse("");
    }
    return String.valueOf(e.getMessage()).lines().findFirst().orElse("");
  }

  @FunctionalInterface
  private interface Reader<T> {
    T read(java.io.InputStream in) throws IOException;
  }

  private static <T> T optional(FileSystem fs, String folder, String name, Configuration conf, Reader<T> reader)
      throws IOException {
    if (!fs.exists(new Path(Locations.hadoopPath(folder), name))) return null;
    return parse(folder, name, conf, reader);
  }

  private static <T> T parse(String folder, String name, Configuration conf, Reader<T> reader) throws IOException {
    byte[] bytes = CheckpointStore.readFile(folder, name, conf);
    try {
      return reader.read(new ByteArrayInputStream(bytes));
    } catch (IOException | RuntimeException e) {
      if (e instanceof UserError u) throw u;
      throw new UserError("cannot read " + Locations.child(folder, name) + ": " + oneLine(e)
          + "; the metrics tables are left as they were: repair the file, or move its run folder out of the study's root",
          e);
    }
  }
}
