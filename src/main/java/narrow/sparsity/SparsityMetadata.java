package narrow.sparsity;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * {@code experiment_metadata.json} of a group-sparsity fine-tuning run, beside its checkpoints:
 * the base model, the penalty and λ's schedule, and the data it trained on, as the study kept them.
 */
public final class SparsityMetadata {
  public static final String FILE = "experiment_metadata.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private SparsityMetadata() {}

  /**
   * @param baseModel the model fine-tuned (a folder or a preset's name)
   * @param manifestSha256 SHA-256 of the dataset's manifest.json, or null
   */
  public static String json(SparsitySettings s, String baseModel, String manifestSha256, Map<String, String> versions) {
    ObjectNode o = JSON.createObjectNode();
    o.put("experiment_type", "group_sparsity");
    o.put("base_model", baseModel);
    o.put("regularizer", s.penalty().studyName());
    o.put("sparsity_lambda", s.lambda().initial());
    o.put("adaptive_lambda", s.lambda().adaptive());
    o.put("adjust_steps", s.lambda().adjustSteps());
    o.put("reg_warmup_steps", s.lambda().warmupSteps());
    o.put("inc_factor", s.lambda().incFactor());
    o.put("dec_factor", s.lambda().decFactor());
    o.put("smoothing", s.lambda().smoothing());
    o.put("data_manifest_sha256", manifestSha256);
    o.put("run_date", LocalDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString());
    o.set("versions", JSON.valueToTree(versions));
    return o.toPrettyString() + "\n";
  }
}
