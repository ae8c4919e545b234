package narrow.train;

import java.io.Serializable;
import narrow.model.DeviceSetting;

/**
 * What a training run is, apart from where it runs: the part of a {@link TrainRun} that the
 * config binds and that Spark ships to each replica as it is. Locations (the dataset, the
 * checkpoint to resume from, {@code args.output_dir}) are local paths or URIs of a Hadoop file
 * system ({@code s3a://…}, {@code gs://…}).
 *
 * @param model ignored when resuming: the checkpoint's weights are the model
 * @param dataset the tokenize job's output folder ({@code train/}, {@code validation/}, {@code _SUCCESS})
 * @param tokenizer {@code tokenizer.json} copied into every checkpoint; {@code null} takes
 *     {@code <dataset>/tokenizer.json} if there is one
 * @param resumeFrom a complete {@code checkpoint-N} folder to continue from, or {@code null}
 * @param device where it computes: {@code model.device}, or the GPU Spark gave the replica's task
 */
public record TrainSpec(ModelSource model, String dataset, TrainingArguments args, String tokenizer,
    String resumeFrom, DeviceSetting device) implements Serializable {

  public TrainSpec {
    if (device == null) device = DeviceSetting.AUTO;
  }

  public static TrainSpec of(ModelSource model, String dataset, TrainingArguments args) {
    return new TrainSpec(model, dataset, args, null, null, null);
  }

  public TrainSpec withModel(ModelSource m) {
    return new TrainSpec(m, dataset, args, tokenizer, resumeFrom, device);
  }

  public TrainSpec withArgs(TrainingArguments a) {
    return new TrainSpec(model, dataset, a, tokenizer, resumeFrom, device);
  }

  public TrainSpec withTokenizer(String tokenizerJson) {
    return new TrainSpec(model, dataset, args, tokenizerJson, resumeFrom, device);
  }

  /** Resumes from a checkpoint folder: a local path or a URI. */
  public TrainSpec resumingFrom(String checkpoint) {
    return new TrainSpec(model, dataset, args, tokenizer, checkpoint, device);
  }

  public TrainSpec onDevice(DeviceSetting setting) {
    return new TrainSpec(model, dataset, args, tokenizer, resumeFrom, setting);
  }
}
