package narrow.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import narrow.model.LlamaConfig;
import narrow.util.Locations;
import narrow.util.UserError;
import org.apache.hadoop.conf.Configuration;

/**
 * Before a resume: the checkpoint was trained as this run's config says. Resuming loads the
 * checkpoint's weights whatever the config's model is, so without this check a d64 checkpoint
 * resumed under a d128 preset trains the d64 model into the d128 run's folder; and a changed
 * learning rate or precision silently makes a run that reproduces neither.
 */
public final class ResumeCheck {
  private ResumeCheck() {}

  /** The model's fields that decide its weights' shapes and what they compute. */
  private static final List<String> MODEL_FIELDS = List.of("vocab_size", "hidden_size", "intermediate_size",
      "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim", "tie_word_embeddings",
      "rope_theta", "rms_norm_eps");

  /**
   * The training arguments that change the numbers from the next step on (the seed and the batch
   * are checked with the data position when the checkpoint loads; max_steps may grow).
   */
  private static final List<String> ARGUMENT_FIELDS = List.of("learning_rate", "weight_decay", "adam_beta1",
      "adam_beta2", "adam_epsilon", "max_grad_norm", "lr_scheduler_type", "warmup_steps", "warmup_ratio",
      "optim", "bf16", "max_length", "shuffle_buffer_rows", "skip_train_rows");

  /**
   * @param model what the config's model is; {@code modelSetting} names it ({@code model.preset d64_l1_h1})
   * @param args this run's arguments, {@code bf16} as it will resolve (null where it cannot be known
   *     here: not compared)
   * @throws UserError naming every setting that differs, with both values
   */
  public static void check(String checkpoint, LlamaConfig model, String modelSetting, TrainingArguments args,
      Configuration hadoop) throws IOException {
    List<String> differences = new ArrayList<>();
    JsonNode theirs = read(checkpoint, "config.json", hadoop);
    JsonNode ours = model.toJson();
    for (String f : MODEL_FIELDS) compare(f, theirs, ours, modelSetting, differences);
    JsonNode trainedWith = read(checkpoint, Checkpoints.TRAINING_ARGS_JSON, hadoop);
    JsonNode runWith = TrainingArguments.JSON.valueToTree(args.toMap());
    for (String f : ARGUMENT_FIELDS) compare(f, trainedWith, runWith, "train." + f, differences);
    if (!differences.isEmpty()) {
      throw new UserError("cannot resume from " + checkpoint + ": it was trained with other settings than this "
          + "run's: " + String.join("; ", differences) + ". Resume with the settings the run was started with, "
          + "or start it again with --overwrite (or into another train.output_dir)");
    }
  }

  /** Records field {@code f} when both sides have a value and the values differ. */
  private static void compare(String f, JsonNode checkpoint, JsonNode run, String runSide, List<String> out) {
    JsonNode a = checkpoint.get(f);
    JsonNode b = run.get(f);
    if (a == null || b == null || a.isNull() || b.isNull()) return; // older checkpoints, unresolved settings
    boolean same = a.isNumber() && b.isNumber() ? a.asDouble() == b.asDouble() : a.asText().equals(b.asText());
    if (!same) out.add(f + " " + a.asText() + " in the checkpoint, " + b.asText() + " in " + runSide);
  }

  private static JsonNode read(String checkpoint, String name, Configuration hadoop) throws IOException {
    byte[] content = CheckpointStore.readFile(checkpoint, name, hadoop);
    try {
      return TrainingArguments.JSON.readTree(content);
    } catch (IOException e) {
      throw new UserError(Locations.child(checkpoint, name) + " is not JSON: " + e.getMessage());
    }
  }
}
