package narrow.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import narrow.engine.Device;
import narrow.model.LlamaForCausalLM;
import narrow.model.io.DType;
import narrow.model.io.Safetensors;
import narrow.model.io.TorchSave;
import narrow.util.AtomicDirectory;
import narrow.util.UserError;

/**
 * The {@code checkpoint-{step}/} and {@code final_model/} folders: what HF writes (model.safetensors,
 * config.json, tokenizer.json, trainer_state.json, training_args.bin) plus training_args.json and
 * what exact resume needs ({@code optimizer.safetensors} with the AdamW moments, {@code
 * trainer_position.json}). Each folder is written aside and renamed into place.
 */
public final class Checkpoints {
  private Checkpoints() {}

  public static final String OPTIMIZER_FILE = "optimizer.safetensors";
  public static final String TRAINER_STATE = "trainer_state.json";
  public static final String TRAINING_ARGS_BIN = "training_args.bin";
  public static final String TRAINING_ARGS_JSON = "training_args.json";
  private static final Pattern CHECKPOINT = Pattern.compile("checkpoint-(\\d+)");

  public static Path checkpointDir(Path outputDir, long step) {
    return outputDir.resolve("checkpoint-" + step);
  }

  /** Writes {@code checkpoint-{step}/}; returns its path. */
  static Path save(Path outputDir, long step, LlamaForCausalLM model, AdamW optimizer, Path tokenizer,
      TrainerState state, TrainingArguments args, TrainingPosition position, boolean trainingStops)
      throws IOException {
    Path target = checkpointDir(outputDir, step);
    state.statefulCallbacks.put("TrainerControl", TrainerState.trainerControl(trainingStops));
    try (AtomicDirectory dir = AtomicDirectory.create(target, true)) {
      writeModelFiles(dir.path(), model, tokenizer, state, args);
      Safetensors.write(dir.path().resolve(OPTIMIZER_FILE), optimizer.stateTensors(), DType.F32,
          Map.of("step", Long.toString(optimizer.stepCount())));
      position.write(dir.path());
      dir.commit();
    }
    return target;
  }

  /** {@code final_model/}: the model folder HF's save_model writes, plus the state and arguments. */
  static void writeModelFolder(Path target, LlamaForCausalLM model, Path tokenizer, TrainerState state,
      TrainingArguments args) throws IOException {
    try (AtomicDirectory dir = AtomicDirectory.create(target, true)) {
      writeModelFiles(dir.path(), model, tokenizer, state, args);
      dir.commit();
    }
  }

  private static void writeModelFiles(Path dir, LlamaForCausalLM model, Path tokenizer, TrainerState state,
      TrainingArguments args) throws IOException {
    model.save(dir, DType.F32);
    if (tokenizer != null) Files.copy(tokenizer, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
    state.write(dir.resolve(TRAINER_STATE));
    TorchSave.save(args.toMap(), dir.resolve(TRAINING_ARGS_BIN));
    args.writeJson(dir.resolve(TRAINING_ARGS_JSON));
  }

  /**
   * Loads the optimizer moments and the position from a checkpoint (the model weights are loaded
   * by the caller from the same folder); returns its trainer state.
   */
  static TrainerState restore(Path checkpoint, Consumer<TrainingPosition> position, AdamW optimizer,
      Device device) throws IOException {
    for (String f : List.of(TRAINER_STATE, OPTIMIZER_FILE, TrainingPosition.FILE)) {
      if (!Files.exists(checkpoint.resolve(f))) {
        throw new UserError("cannot resume from " + checkpoint + ": no " + f
            + " (not a checkpoint-N folder written by narrow, or an incomplete one)");
      }
    }
    TrainerState state = TrainerState.read(checkpoint.resolve(TRAINER_STATE));
    TrainingPosition p = TrainingPosition.read(checkpoint);
    position.accept(p);
    long step = Long.parseLong(Safetensors.readHeader(checkpoint.resolve(OPTIMIZER_FILE)).metadata().get("step"));
    optimizer.restore(Safetensors.read(checkpoint.resolve(OPTIMIZER_FILE), device), step);
    state.totalFlos = p.totalFlos();
    return state;
  }

  /** The {@code checkpoint-N} folders under outputDir, oldest step first. */
  public static List<Path> list(Path outputDir) throws IOException {
    if (!Files.isDirectory(outputDir)) return List.of();
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(outputDir)) {
      s.filter(p -> Files.isDirectory(p) && CHECKPOINT.matcher(p.getFileName().toString()).matches())
          .forEach(out::add);
    }
    out.sort(Comparator.comparingLong(Checkpoints::stepOf));
    return out;
  }

  static long stepOf(Path checkpoint) {
    Matcher m = CHECKPOINT.matcher(checkpoint.getFileName().toString());
    if (!m.matches()) throw new IllegalArgumentException("not a checkpoint folder: " + checkpoint);
    return Long.parseLong(m.group(1));
  }

  /** The newest complete checkpoint, or null: what to resume from after a kill. */
  public static Path latest(Path outputDir) throws IOException {
    List<Path> all = list(outputDir);
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  /** HF's save_total_limit: deletes the oldest checkpoints beyond {@code limit} (null keeps all). */
  static void rotate(Path outputDir, Integer limit) throws IOException {
    if (limit == null) return;
    List<Path> all = list(outputDir);
    for (int i = 0; i < all.size() - limit; i++) AtomicDirectory.deleteRecursively(all.get(i));
  }
}
