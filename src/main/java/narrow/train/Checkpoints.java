package narrow.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import narrow.engine.Device;
import narrow.model.LlamaForCausalLM;
import narrow.engine.DType;
import narrow.model.io.Safetensors;
import narrow.model.io.TorchSave;
import narrow.util.CompleteFolder;
import narrow.util.UserError;

/**
 * The {@code checkpoint-{step}/} and {@code final_model/} folders: what HF writes (model.safetensors,
 * config.json, tokenizer.json, trainer_state.json, training_args.bin) plus training_args.json and
 * what exact resume needs ({@code optimizer.safetensors} with the AdamW moments, {@code
 * trainer_position.json}), and {@link CompleteFolder#MARKER} last. Where the folders go, and how they
 * are made whole on each kind of file system, is {@link CheckpointStore}'s part.
 */
public final class Checkpoints {
  private Checkpoints() {}

  public static final String OPTIMIZER_FILE = "optimizer.safetensors";
  public static final String TRAINER_STATE = "trainer_state.json";
  public static final String TRAINING_ARGS_BIN = "training_args.bin";
  public static final String TRAINING_ARGS_JSON = "training_args.json";
  public static final String TOKENIZER_FILE = "tokenizer.json";

  public static String checkpointName(long step) {
    return "checkpoint-" + step;
  }

  /** Writes {@code checkpoint-{step}/}; returns its location. */
  static String save(CheckpointStore store, long step, LlamaForCausalLM model, AdamW optimizer,
      byte[] tokenizer, TrainerState state, TrainingArguments args, TrainingPosition position,
      boolean trainingStops) throws IOException {
    state.statefulCallbacks.put("TrainerControl", TrainerState.trainerControl(trainingStops));
    return store.write(checkpointName(step), dir -> {
      writeModelFiles(dir, model, tokenizer, state, args);
      Safetensors.write(dir.resolve(OPTIMIZER_FILE), optimizer.stateTensors(), DType.F32,
          Map.of("step", Long.toString(optimizer.stepCount())));
      position.write(dir);
    });
  }

  /** {@code final_model/}: the model folder HF's save_model writes, plus the state and arguments. */
  static String writeModelFolder(CheckpointStore store, String name, LlamaForCausalLM model, byte[] tokenizer,
      TrainerState state, TrainingArguments args) throws IOException {
    return store.write(name, dir -> writeModelFiles(dir, model, tokenizer, state, args));
  }

  private static void writeModelFiles(Path dir, LlamaForCausalLM model, byte[] tokenizer, TrainerState state,
      TrainingArguments args) throws IOException {
    model.save(dir, DType.F32);
    if (tokenizer != null) Files.write(dir.resolve(TOKENIZER_FILE), tokenizer);
    state.write(dir.resolve(TRAINER_STATE));
    TorchSave.save(args.toMap(), dir.resolve(TRAINING_ARGS_BIN));
    args.writeJson(dir.resolve(TRAINING_ARGS_JSON));
  }

  /**
   * Loads the optimizer moments and the position from a checkpoint's local files (the model
   * weights are loaded by the caller from the same folder); returns its trainer state.
   *
   * @param location the checkpoint as the user named it, for messages
   */
  static TrainerState restore(Path checkpoint, String location, Consumer<TrainingPosition> position,
      AdamW optimizer, Device device) throws IOException {
    for (String f : List.of(TRAINER_STATE, OPTIMIZER_FILE, TrainingPosition.FILE)) {
      if (!Files.exists(checkpoint.resolve(f))) {
        throw new UserError("cannot resume from " + location + ": no " + f
            + " (not a checkpoint-N folder written by narrow)");
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

  /** The complete {@code checkpoint-N} folders under a local output_dir, oldest step first. */
  public static List<Path> list(Path outputDir) throws IOException {
    return CheckpointStore.local(outputDir).list().stream().map(Path::of).toList();
  }

  /** The newest complete checkpoint under a local output_dir, or null. */
  public static Path latest(Path outputDir) throws IOException {
    String latest = CheckpointStore.local(outputDir).latest();
    return latest == null ? null : Path.of(latest);
  }
}
