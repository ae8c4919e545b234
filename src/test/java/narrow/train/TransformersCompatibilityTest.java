package narrow.train;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import narrow.engine.Autograd;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import narrow.model.LlamaConfig;
import narrow.model.LlamaForCausalLM;
import narrow.model.ModelStats;
import narrow.engine.DType;
import narrow.model.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the trainer writes, loaded by Hugging Face transformers itself (when a Python with it is
 * at hand, see {@link HfTransformers}): a checkpoint, the final model, and a bf16 copy in shards
 * with an index. transformers must give narrow's logits, read trainer_state.json and
 * training_args.bin, and count the same parameters.
 */
@narrow.Slow
class TransformersCompatibilityTest {
  @TempDir Path tmp;

  @Test
  void transformersLoadsWhatNarrowWrites() throws Exception {
    HfTransformers.assumeAvailable("TransformersCompatibilityTest: checkpoints loaded by transformers");
    // tied head, grouped-query attention and llama3 rope scaling: the fixture's config
    LlamaConfig config = LlamaConfig.read(OptimizerMathTest.fixtures().resolve("tied-gqa-bf16/config.json"));
    Path data = TestShards.learnable(tmp.resolve("data"), 318, 318, 24, true, 32, 4, 11);
    Path out = tmp.resolve("out");
    TrainingArguments args = TrainingArguments.defaults(out.toString()).with(Map.of("max_steps", 3L,
        "learning_rate", 1e-2, "per_device_train_batch_size", 4, "save_steps", 3, "eval_steps", 0,
        "logging_steps", 1, "max_length", 24));
    TrainResult result = Trainer.train(TrainRun.of(new ModelSource.Fresh(config, 5), data, args));
    Path bf16Shards = tmp.resolve("bf16-shards");

    long[] ids = new long[2 * 16];
    for (int i = 0; i < ids.length; i++) ids[i] = (i * 37 + 11) % 318;
    List<Path> dirs = List.of(out.resolve("checkpoint-3"), Path.of(result.finalModel()), bf16Shards);
    List<float[]> narrowLogits = new ArrayList<>();
    try (TensorScope scope = new TensorScope()) {
      try (LlamaForCausalLM trained = LlamaForCausalLM.load(Path.of(result.finalModel()))) {
        config.withTorchDtype("bfloat16").write(java.nio.file.Files.createDirectories(bf16Shards).resolve("config.json"));
        Safetensors.writeCheckpoint(bf16Shards, trained.parameters(), DType.BF16, 20_000);
      }
      for (Path dir : dirs) {
        try (LlamaForCausalLM model = LlamaForCausalLM.load(dir); Autograd.Scope s = Autograd.noGrad()) {
          narrowLogits.add(Tensors.toFloats(model.logits(Tensors.longs(ids, 2, 16))));
        }
      }
      assertTrue(java.nio.file.Files.exists(bf16Shards.resolve(Safetensors.INDEX_FILE)), "sharded");

      Path hfOut = tmp.resolve("hf.safetensors");
      List<String> cmd = new ArrayList<>(List.of(Path.of("src/test/python/transformers_check.py").toString(),
          hfOut.toString(), json(ids, 16)));
      dirs.forEach(d -> cmd.add(d.toString()));
      JsonNode facts = new ObjectMapper().readTree(HfTransformers.run(cmd));
      Map<String, Tensor> hf = Safetensors.read(hfOut, Device.CPU);
      for (int i = 0; i < dirs.size(); i++) {
        double err = narrow.model.Fixtures.relativeError(narrowLogits.get(i), Tensors.toFloats(hf.get("logits." + i)));
        assertTrue(err <= 1e-5, dirs.get(i) + ": transformers' logits differ from narrow's by " + err);
        assertEquals(ModelStats.of(config).nParams(), facts.get("" + i).get("n_params").asLong(), dirs.get(i).toString());
      }
      for (String i : List.of("0", "1")) {
        assertEquals(3, facts.get(i).get("global_step").asInt(), "trainer_state.json of " + dirs.get(Integer.parseInt(i)));
        assertEquals(3, facts.get(i).get("max_steps").asInt(), "training_args.bin of " + dirs.get(Integer.parseInt(i)));
      }
    }
  }

  private static String json(long[] ids, int cols) {
    StringBuilder sb = new StringBuilder("[");
    for (int r = 0; r < ids.length / cols; r++) {
      sb.append(r == 0 ? "[" : ",[");
      for (int c = 0; c < cols; c++) sb.append(c == 0 ? "" : ",").append(ids[r * cols + c]);
      sb.append(']');
    }
    return sb.append(']').toString();
  }
}
