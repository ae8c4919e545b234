package narrow.train;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Everything one training run needs; the CLI builds it from an experiment's YAML.
 *
 * @param model ignored when resuming: the checkpoint's weights are the model
 * @param dataset the tokenize job's output folder ({@code train/}, {@code validation/}, {@code _SUCCESS})
 * @param tokenizer {@code tokenizer.json} copied into every checkpoint; {@code null} takes
 *     {@code <dataset>/tokenizer.json} if there is one
 * @param resumeFrom a {@code checkpoint-N} folder to continue from, or {@code null}
 * @param console progress lines (step, loss, tokens/s, ETA)
 * @param device {@code auto} (a GPU when the engine sees one), {@code cpu} or {@code gpu}
 */
public record TrainRun(ModelSource model, Path dataset, TrainingArguments args, Path tokenizer,
    Path resumeFrom, TrainingHooks hooks, Consumer<String> console, String device) {

  public TrainRun {
    if (hooks == null) hooks = TrainingHooks.none();
    if (console == null) console = System.err::println;
    if (device == null) device = "auto";
  }

  public static TrainRun of(ModelSource model, Path dataset, TrainingArguments args) {
    return new TrainRun(model, dataset, args, null, null, TrainingHooks.none(), null, null);
  }

  public TrainRun resumingFrom(Path checkpoint) {
    return new TrainRun(model, dataset, args, tokenizer, checkpoint, hooks, console, device);
  }

  public TrainRun withTokenizer(Path tokenizerJson) {
    return new TrainRun(model, dataset, args, tokenizerJson, resumeFrom, hooks, console, device);
  }

  public TrainRun withHooks(TrainingHooks h) {
    return new TrainRun(model, dataset, args, tokenizer, resumeFrom, h, console, device);
  }

  public TrainRun withConsole(Consumer<String> c) {
    return new TrainRun(model, dataset, args, tokenizer, resumeFrom, hooks, c, device);
  }

  public TrainRun onDevice(String setting) {
    return new TrainRun(model, dataset, args, tokenizer, resumeFrom, hooks, console, setting);
  }
}
