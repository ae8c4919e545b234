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
 */
public record TrainRun(ModelSource model, Path dataset, TrainingArguments args, Path tokenizer,
    Path resumeFrom, TrainingHooks hooks, Consumer<String> console) {

  public TrainRun {
    if (hooks == null) hooks = TrainingHooks.none();
    if (console == null) console = System.err::println;
  }

  public static TrainRun of(ModelSource model, Path dataset, TrainingArguments args) {
    return new TrainRun(model, dataset, args, null, null, TrainingHooks.none(), null);
  }

  public TrainRun resumingFrom(Path checkpoint) {
    return new TrainRun(model, dataset, args, tokenizer, checkpoint, hooks, console);
  }

  public TrainRun withTokenizer(Path tokenizerJson) {
    return new TrainRun(model, dataset, args, tokenizerJson, resumeFrom, hooks, console);
  }

  public TrainRun withHooks(TrainingHooks h) {
    return new TrainRun(model, dataset, args, tokenizer, resumeFrom, h, console);
  }

  public TrainRun withConsole(Consumer<String> c) {
    return new TrainRun(model, dataset, args, tokenizer, resumeFrom, hooks, c);
  }
}
