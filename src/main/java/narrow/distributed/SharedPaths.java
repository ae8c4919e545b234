package narrow.distributed;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import narrow.config.ConfigException;
import narrow.config.ExperimentConfig;
import narrow.config.TrainingPlan;
import narrow.train.ModelSource;
import narrow.util.Locations;

/**
 * A local path given to executors on other machines names their own disks: the data is "not
 * found" after four task retries, or replica 0 writes the model where nobody looks. Refused
 * before any work, unless the user says every node mounts the path ({@code
 * distributed.shared_filesystem}).
 */
public final class SharedPaths {
  private SharedPaths() {}

  /** Refuses the plan's local locations (shards, output_dir, base model, teacher) on a cluster. */
  public static void check(String master, TrainingPlan plan) {
    Map<String, String> locations = new LinkedHashMap<>();
    locations.put("data.output", plan.dataset());
    locations.put("train.output_dir", plan.args().outputDir());
    if (plan.model() instanceof ModelSource.Pretrained p) locations.put("model.pretrained", p.location());
    if (plan.distill() != null) locations.put("distill.teacher", plan.distill().teacher());
    check(master, plan.distributed().sharedFilesystem(), locations);
  }

  /** Refuses a local corpus ({@code data.input}) or shards folder ({@code data.output}): tokenize's tasks read and write them. */
  public static void checkTokenize(String master, ExperimentConfig c) {
    Map<String, String> locations = new LinkedHashMap<>();
    locations.put("data.input", c.data().input());
    locations.put("data.output", c.data().output());
    check(master, c.distributed().sharedFilesystem(), locations);
  }

  /** {@code locations}: config key → location, as the config gives it after loading. */
  static void check(String master, boolean sharedFilesystem, Map<String, String> locations) {
    if (sharedFilesystem || Placement.onThisMachine(master)) return;
    Map<String, String> local = new LinkedHashMap<>();
    locations.forEach((key, location) -> {
      if (location != null && !Locations.isRemote(location)) local.put(key, location);
    });
    if (local.isEmpty()) return;
    String named = local.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
        .collect(Collectors.joining(", "));
    throw new ConfigException(named + (local.size() == 1 ? " is a local path" : " are local paths")
        + ", which the executors of master " + master + " read on their own disks: put "
        + (local.size() == 1 ? "it" : "them") + " on storage every node reaches (hdfs://, s3a://, gs://), "
        + "or set distributed.shared_filesystem: true if every node mounts "
        + (local.size() == 1 ? "it" : "them") + " at the same path (NFS, or a cluster on one machine)");
  }
}
