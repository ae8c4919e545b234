package narrow.distill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * {@code experiment_metadata.json} of a distillation run, beside its checkpoints, as a
 * group-sparsity run writes its own: the run folder alone then says that the model was distilled,
 * from which teacher and with which loss weights (the study's metrics tables read it).
 */
public final class DistillMetadata {
  public static final String FILE = "experiment_metadata.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private DistillMetadata() {}

  /**
   * @param student the model trained (a preset's or a folder's setting)
   * @param manifestSha256 SHA-256 of the dataset's manifest.json, or null
   */
  public static String json(DistillSettings s, String student, String manifestSha256, Map<String, String> versions) {
    ObjectNode o = JSON.createObjectNode();
    o.put("experiment_type", "distillation");
    o.put("student", student);
    o.put("teacher", s.teacher());
    o.put("temperature", s.temperature());
    o.put("alpha", s.alpha());
    o.put("smoothing", s.smoothing());
    o.put("data_manifest_sha256", manifestSha256);
    o.put("run_date", LocalDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString());
    o.set("versions", JSON.valueToTree(versions));
    return o.toPrettyString() + "\n";
  }
}
