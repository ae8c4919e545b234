package narrow.distributed;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import narrow.model.LlamaConfig;
import narrow.train.ModelSource;
import narrow.train.TrainRun;
import narrow.train.TrainingArguments;

/**
 * A training run in a form Spark can ship to executors (paths as strings, the arguments as their
 * HF map, the model source by value), rebuilt into a {@link TrainRun} by each replica. The Hadoop
 * configuration travels beside it ({@code DistributedTraining.ReplicaTask}).
 */
record ReplicaSpec(String modelKind, String modelValue, long seed, String dataset,
    LinkedHashMap<String, Object> args, String tokenizer, String resumeFrom, String device)
    implements Serializable {

  static ReplicaSpec of(TrainRun run) {
    String kind;
    String value;
    long seed = 0;
    if (run.model() instanceof ModelSource.Preset p) {
      kind = "preset";
      value = p.name();
      seed = p.seed();
    } else if (run.model() instanceof ModelSource.Fresh f) {
      kind = "fresh";
      value = f.config().toJson().toString();
      seed = f.seed();
    } else {
      kind = "pretrained";
      value = ((ModelSource.Pretrained) run.model()).location();
    }
    return new ReplicaSpec(kind, value, seed, run.dataset(), new LinkedHashMap<>(run.args().toMap()),
        run.tokenizer() == null ? null : run.tokenizer().toString(), run.resumeFrom(), run.device());
  }

  TrainRun toRun() {
    ModelSource model = switch (modelKind) {
      case "preset" -> new ModelSource.Preset(modelValue, seed);
      case "fresh" -> new ModelSource.Fresh(LlamaConfig.fromJson(json(modelValue)), seed);
      default -> new ModelSource.Pretrained(modelValue);
    };
    TrainRun run = TrainRun.of(model, dataset, TrainingArguments.fromMap(args)).onDevice(device);
    if (tokenizer != null) run = run.withTokenizer(Path.of(tokenizer));
    if (resumeFrom != null) run = run.resumingFrom(resumeFrom);
    return run;
  }

  ReplicaSpec resumingFrom(String checkpoint) {
    return new ReplicaSpec(modelKind, modelValue, seed, dataset, args, tokenizer, checkpoint, device);
  }

  /** A local path or a URI. */
  String outputDir() {
    return String.valueOf(args.get("output_dir"));
  }

  private static com.fasterxml.jackson.databind.node.ObjectNode json(String s) {
    try {
      return (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(s);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("model config did not survive shipping: " + e.getMessage(), e);
    }
  }

}
