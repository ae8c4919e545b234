package narrow.model;

import static org.junit.jupiter.api.Assertions.*;

import narrow.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaConfigTest {
  @TempDir Path tmp;
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void fixtureConfigRoundTripsWithItsUnknownFields() throws IOException {
    Path original = Fixtures.model(Fixtures.TIED).resolve("config.json");
    LlamaConfig c = LlamaConfig.read(original);
    assertEquals(320, c.vocabSize());
    assertEquals(2, c.numKeyValueHeads());
    assertEquals(16, c.headDim());
    assertTrue(c.tieWordEmbeddings());
    assertEquals("llama3", c.ropeScaling().ropeType());
    assertEquals(32.0, c.ropeScaling().factor());
    assertEquals(List.of(319), c.eosTokenIds());
    assertNull(c.padTokenId());
    assertEquals("silu", c.extra().get("hidden_act").asText());

    Path copy = tmp.resolve("config.json");
    c.write(copy);
    JsonNode before = json.readTree(original.toFile());
    JsonNode after = json.readTree(copy.toFile());
    // every field of the original comes back with the same value (numerically)
    before.fields().forEachRemaining(e -> assertTrue(
        e.getValue().equals((a, b) -> a.isNumber() && b.isNumber()
            ? Double.compare(a.asDouble(), b.asDouble()) : a.equals(b) ? 0 : 1, after.get(e.getKey())),
        e.getKey() + ": " + e.getValue() + " vs " + after.get(e.getKey())));
    assertEquals(c, LlamaConfig.read(copy));
  }

  @Test
  void unknownFieldsSurviveIncludingNestedOnesAndEosLists() throws IOException {
    Path file = tmp.resolve("config.json");
    Files.writeString(file, "{\"vocab_size\": 10, \"hidden_size\": 8, \"intermediate_size\": 16,"
        + " \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"eos_token_id\": [1, 5, 7],"
        + " \"rope_scaling\": {\"type\": \"llama3\", \"factor\": 8.0, \"my_knob\": [1, 2]},"
        + " \"quantization_config\": {\"bits\": 4}, \"some_flag\": true}");
    LlamaConfig c = LlamaConfig.read(file);
    assertEquals(2, c.numKeyValueHeads(), "defaults to the head count");
    assertEquals(4, c.headDim(), "defaults to hidden / heads");
    assertEquals(List.of(1, 5, 7), c.eosTokenIds());
    assertEquals("llama3", c.ropeScaling().ropeType());
    Path out = tmp.resolve("out.json");
    c.write(out);
    JsonNode back = json.readTree(out.toFile());
    assertEquals(4, back.get("quantization_config").get("bits").asInt());
    assertTrue(back.get("some_flag").asBoolean());
    assertEquals("[1,5,7]", back.get("eos_token_id").toString());
    assertEquals("[1,2]", back.get("rope_scaling").get("my_knob").toString());
    assertEquals(c, LlamaConfig.read(out));
  }

  @Test
  void malformedConfigsFailClearly() throws IOException {
    Path file = tmp.resolve("config.json");
    Files.writeString(file, "{\"vocab_size\": 10}");
    Exception e = assertThrows(narrow.util.UserError.class, () -> LlamaConfig.read(file));
    assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());
    Files.writeString(file, "{not json");
    e = assertThrows(narrow.util.UserError.class, () -> LlamaConfig.read(file));
    assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
  }

  @Test
  void presetsGiveTheStudysShapes() {
    Map<String, int[]> study = Map.of( // hidden, layers, heads, intermediate
        "d256_l4_h4", new int[] {256, 4, 4, 1024},
        "d512_l8_h8", new int[] {512, 8, 8, 2048},
        "d768_l12_h12", new int[] {768, 12, 12, 3072},
        "d864_l16_h16", new int[] {864, 16, 16, 3456},
        "d1024_l16_h16", new int[] {1024, 16, 16, 4096},
        "d1280_l20_h20", new int[] {1280, 20, 20, 5120},
        "d1536_l24_h24", new int[] {1536, 24, 24, 6144},
        "d1792_l28_h28", new int[] {1792, 28, 28, 7168},
        "d2048_l32_h32", new int[] {2048, 32, 32, 8192});
    study.forEach((name, s) -> {
      LlamaConfig c = LlamaConfig.preset(name);
      assertEquals(s[0], c.hiddenSize(), name);
      assertEquals(s[1], c.numHiddenLayers(), name);
      assertEquals(s[2], c.numAttentionHeads(), name);
      assertEquals(s[2], c.numKeyValueHeads(), name);
      assertEquals(s[3], c.intermediateSize(), name);
      assertEquals(128256, c.vocabSize());
      assertEquals(500000.0, c.ropeTheta());
      assertEquals(LlamaConfig.RopeScaling.llama3(8.0, 1.0, 4.0, 8192), c.ropeScaling());
      assertFalse(c.tieWordEmbeddings());
      assertEquals(128000, c.bosTokenId());
      assertEquals(128001, c.eosTokenId());
      assertEquals(128001, c.padTokenId());
      assertEquals(1e-5, c.rmsNormEps());
      assertEquals(131072, c.maxPositionEmbeddings());
    });
    // d256_l4_h4: 2·128256·256 + 4·(4·256² + 3·256·1024) + 9·256
    assertEquals(2L * 128256 * 256 + 4L * (4 * 256 * 256 + 3 * 256 * 1024) + 9 * 256,
        ModelStats.of(LlamaConfig.preset("d256_l4_h4")).nParams());
  }

  @Test
  void malformedPresetNamesAreRejected() {
    for (String bad : new String[] {"d256_l4", "256_l4_h4", "d256_l4_h4x", "d0_l4_h4", "d256_l4_h3",
        "d260_l4_h4_", "", "D256_L4_H4"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> LlamaConfig.preset(bad), bad);
      assertTrue(e.getMessage().contains(bad), e.getMessage());
    }
  }

  @Test
  void modelStatsMatchTheTensorsOfAnInitialisedPreset(@TempDir Path dir) throws IOException {
    LlamaConfig small = LlamaConfig.preset("d64_l2_h4"); // real vocabulary: 16.5M parameters
    try (LlamaForCausalLM model = LlamaForCausalLM.init(small, 1)) {
      ModelStats fromConfig = ModelStats.of(small);
      assertEquals(ModelStats.count(model.weights()), fromConfig);
      long tensors = model.parameters().values().stream().mapToLong(Tensors::numel).sum();
      assertEquals(tensors, fromConfig.nParams());
      assertEquals(2 + 9 * 2 + 1, model.parameters().size());
      Path file = dir.resolve("model_stats.json");
      fromConfig.write(file);
      JsonNode written = json.readTree(file.toFile());
      assertEquals(tensors, written.get("n_params").asLong());
      assertEquals(tensors, written.get("n_trainable_params").asLong());
      assertEquals(64L * 128256, written.get("breakdown").get("lm_head").asLong());
    }
    // tied: the head is the embedding, counted once
    try (LlamaForCausalLM tied = LlamaForCausalLM.load(Fixtures.model(Fixtures.TIED))) {
      assertEquals(ModelStats.count(tied.weights()), ModelStats.of(tied.config()));
      assertEquals(0, ModelStats.of(tied.config()).lmHead());
    }
  }

  @Test
  void initFollowsHfInitWeights() {
    LlamaConfig c = new LlamaConfig(500, 32, 64, 1, 4, 4, 8, 1e-5, 10000.0, null, 128, false, 0,
        List.of(1), 7, 0.02, "float32", Map.of());
    try (LlamaForCausalLM a = LlamaForCausalLM.init(c, 42);
        LlamaForCausalLM b = LlamaForCausalLM.init(c, 42);
        LlamaForCausalLM other = LlamaForCausalLM.init(c, 43)) {
      Tensor embed = a.parameters().get("model.embed_tokens.weight");
      float[] all = Tensors.toFloats(embed);
      double sumSquares = 0;
      for (float v : all) sumSquares += v * v;
      assertEquals(0.02, Math.sqrt(sumSquares / all.length), 0.001, "std = initializer_range");
      for (int j = 0; j < 32; j++) assertEquals(0f, all[7 * 32 + j], "padding row is zero");
      for (float v : Tensors.toFloats(a.parameters().get("model.norm.weight"))) assertEquals(1f, v);
      for (String name : a.parameters().keySet()) {
        assertArrayEquals(Tensors.toFloats(a.parameters().get(name)),
            Tensors.toFloats(b.parameters().get(name)), "same seed, same " + name);
      }
      assertFalse(java.util.Arrays.equals(all,
          Tensors.toFloats(other.parameters().get("model.embed_tokens.weight"))));
    }
  }

  @Test
  void initBuildsLargeMatricesInBlocks() {
    // 70000 × 256 floats is past the 2^24-float block: two blocks, the pad row in the second
    LlamaConfig c = new LlamaConfig(70000, 256, 64, 1, 4, 4, 64, 1e-5, 10000.0, null, 128, true, 0,
        List.of(1), 69000, 0.02, "float32", Map.of());
    try (LlamaForCausalLM model = LlamaForCausalLM.init(c, 3)) {
      Tensor embed = model.parameters().get("model.embed_tokens.weight");
      assertArrayEquals(new long[] {70000, 256}, Tensors.shape(embed));
      float[] all = Tensors.toFloats(embed);
      for (int j = 0; j < 256; j++) assertEquals(0f, all[69000 * 256 + j]);
      double sumSquares = 0;
      for (int i = 65536 * 256; i < all.length; i++) sumSquares += all[i] * all[i];
      assertEquals(0.02, Math.sqrt(sumSquares / (all.length - 65536 * 256 - 256)), 0.001);
      assertNotEquals(0f, all[all.length - 1]);
    }
  }
}
