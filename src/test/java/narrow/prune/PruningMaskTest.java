package narrow.prune;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import narrow.engine.Autograd;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.Fixtures;
import narrow.model.LlamaConfig;
import narrow.model.LlamaForCausalLM;
import narrow.model.io.PythonTorch;
import narrow.model.io.Safetensors;
import narrow.model.io.TorchSave;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PruningMaskTest {
  @TempDir Path tmp;

  static LlamaConfig config(String name) throws IOException {
    return LlamaConfig.read(Fixtures.model(name).resolve("config.json"));
  }

  static PruningSelection randomHalf(LlamaConfig c) {
    return RandomPruning.draw(c.numHiddenLayers(), c.intermediateSize(), c.hiddenSize(), 0.5, 0.25, 7, false);
  }

  @ParameterizedTest
  @ValueSource(strings = {Fixtures.UNTIED, Fixtures.TIED})
  void coversEveryParameterInHuggingFaceOrder(String name) throws IOException {
    LlamaConfig c = config(name);
    PruningMask mask = PruningMask.of(randomHalf(c), c);
    LinkedHashMap<String, long[]> shapes = LlamaForCausalLM.parameterShapes(c);
    assertEquals(List.copyOf(shapes.keySet()), mask.parameters().stream().map(MaskedParameter::name).toList());
    for (MaskedParameter m : mask.parameters()) assertArrayEquals(shapes.get(m.name()), m.shape(), m.name());
  }

  @Test
  void zeroesWhatTheStudysMaskCovers() throws IOException {
    LlamaConfig c = config(Fixtures.UNTIED);
    var sel = new PruningSelection(List.of(new PruningSelection.Neuron(0, 1), new PruningSelection.Neuron(1, 3)),
        List.of(2), c.numHiddenLayers() * c.intermediateSize(), c.hiddenSize());
    Map<String, MaskedParameter> m = new LinkedHashMap<>();
    PruningMask.of(sel, c).parameters().forEach(p -> m.put(p.name(), p));
    long[] none = {};
    long[] two = {2};
    assertZeroes(m, "model.embed_tokens.weight", none, two);
    assertZeroes(m, "model.layers.0.self_attn.q_proj.weight", none, two);
    assertZeroes(m, "model.layers.0.self_attn.k_proj.weight", none, two);
    assertZeroes(m, "model.layers.0.self_attn.v_proj.weight", none, two);
    assertZeroes(m, "model.layers.0.self_attn.o_proj.weight", two, none);
    assertZeroes(m, "model.layers.0.mlp.gate_proj.weight", new long[] {1}, two);
    assertZeroes(m, "model.layers.0.mlp.up_proj.weight", new long[] {1}, two);
    assertZeroes(m, "model.layers.0.mlp.down_proj.weight", two, new long[] {1});
    assertZeroes(m, "model.layers.1.mlp.gate_proj.weight", new long[] {3}, two);
    assertZeroes(m, "model.layers.1.mlp.down_proj.weight", two, new long[] {3});
    assertZeroes(m, "model.layers.1.input_layernorm.weight", two, none);
    assertZeroes(m, "model.layers.1.post_attention_layernorm.weight", two, none);
    assertZeroes(m, "model.norm.weight", two, none);
    assertTrue(m.get("lm_head.weight").isIdentity(), "the untied head is not pruned");
  }

  private static void assertZeroes(Map<String, MaskedParameter> m, String name, long[] rows, long[] cols) {
    assertArrayEquals(rows, m.get(name).zeroRows(), name + " rows");
    assertArrayEquals(cols, m.get(name).zeroColumns(), name + " columns");
  }

  @Test
  void aSelectionOfAnotherModelIsRefused() throws IOException {
    LlamaConfig c = config(Fixtures.UNTIED);
    var sel = new PruningSelection(List.of(), List.of(), 10, c.hiddenSize());
    var e = assertThrows(IllegalArgumentException.class, () -> PruningMask.of(sel, c));
    assertTrue(e.getMessage().contains("the model has"), e.getMessage());
  }

  /**
   * index_fill_ on the model's parameters gives parameter × mask; both files hold that mask; and
   * PyTorch itself loads pruning_mask.pt with weights_only=True and applies it as
   * {@code param.data *= mask[name]} to the same result as narrow's in-place masking.
   */
  @ParameterizedTest
  @ValueSource(strings = {Fixtures.UNTIED, Fixtures.TIED})
  void theMaskAppliedAndWrittenIsTheSame(String name) throws Exception {
    LlamaConfig c = config(name);
    PruningMask mask = PruningMask.of(randomHalf(c), c);
    MaskFiles.write(mask, tmp);
    try (TensorScope scope = new TensorScope(); LlamaForCausalLM model = LlamaForCausalLM.load(Fixtures.model(name))) {
      Map<String, Tensor> params = model.parameters();
      Map<String, Object> before = new LinkedHashMap<>();
      Map<String, float[]> beforeFloats = new LinkedHashMap<>();
      for (var e : params.entrySet()) {
        before.put(e.getKey(), TorchSave.Tensor.ofTensor(e.getValue()));
        beforeFloats.put(e.getKey(), Tensors.toFloats(e.getValue()));
      }
      try (Autograd.Scope noGrad = Autograd.noGrad()) {
        mask.applyTo(params);
      }
      Map<String, Object> after = new LinkedHashMap<>();
      Map<String, Tensor> file = Safetensors.read(tmp.resolve(MaskFiles.SAFETENSORS_FILE), Device.CPU);
      assertEquals(List.copyOf(params.keySet()), List.copyOf(file.keySet()));
      long zeros = 0;
      for (MaskedParameter m : mask.parameters()) {
        float[] got = Tensors.toFloats(params.get(m.name()));
        float[] was = beforeFloats.get(m.name());
        float[] inFile = Tensors.toFloats(file.get(m.name()));
        long cols = m.shape().length == 1 ? 1 : m.shape()[1];
        for (int i = 0; i < got.length; i++) {
          float v = m.shape().length == 1 ? m.valueAt(i, 0) : m.valueAt(i / cols, i % cols);
          assertEquals(was[i] * v, got[i], 0f, m.name() + "[" + i + "]");
          assertEquals(v, inFile[i], 0f, m.name() + " in the safetensors file");
          if (v == 0) zeros++;
        }
        after.put(m.name(), TorchSave.Tensor.ofTensor(params.get(m.name())));
      }
      assertTrue(zeros > 0);
      PythonTorch.assumeAvailable("PruningMaskTest: pruning_mask.pt applied by PyTorch");
      TorchSave.save(before, tmp.resolve("params.pt"));
      TorchSave.save(after, tmp.resolve("masked.pt"));
      String out = PythonTorch.run("""
          import sys, torch
          mask = torch.load(sys.argv[1], weights_only=True)
          params = torch.load(sys.argv[2], weights_only=True)
          masked = torch.load(sys.argv[3], weights_only=True)
          assert list(mask) == list(params), (list(mask), list(params))
          worst, zeros = 0.0, 0
          for name, p in params.items():
              m = mask[name]
              assert m.dtype == torch.float32 and m.shape == p.shape, name
              p.data *= m
              worst = max(worst, (p - masked[name]).abs().max().item())
              zeros += int((m == 0).sum())
          print(torch.__version__, len(mask), zeros, worst)
          """, tmp.resolve(MaskFiles.TORCH_FILE).toString(), tmp.resolve("params.pt").toString(),
          tmp.resolve("masked.pt").toString());
      System.out.println(name + ": torch.load(weights_only=True) of pruning_mask.pt: " + out);
      String[] f = out.split(" ");
      assertEquals(mask.parameters().size(), Integer.parseInt(f[1]));
      assertEquals(zeros, Long.parseLong(f[2]));
      assertEquals(0.0, Double.parseDouble(f[3]), "param.data *= mask[name] in PyTorch differs from narrow's");
    }
  }

  @Test
  void randomDrawsAreSeededAndWithoutReplacementByDefault() {
    PruningSelection a = RandomPruning.draw(4, 100, 64, 0.9, 0.5, 3, false);
    assertEquals(a, RandomPruning.draw(4, 100, 64, 0.9, 0.5, 3, false));
    assertNotEquals(a, RandomPruning.draw(4, 100, 64, 0.9, 0.5, 4, false));
    assertEquals(360, a.neurons().size());
    assertEquals(360, a.neurons().stream().distinct().count(), "achieved sparsity = asked");
    assertEquals(32, a.residuals().stream().distinct().count());
    PruningSelection study = RandomPruning.draw(4, 100, 64, 0.9, 0.5, 3, true);
    assertTrue(study.neurons().size() < 360, "with replacement repeats draws: " + study.neurons().size());
    assertTrue(study.neurons().size() > 200);
    assertEquals(a.residuals(), study.residuals(), "residuals are drawn apart from the neurons");
    List<Integer> flat = new ArrayList<>();
    for (var n : a.neurons()) {
      assertTrue(n.layer() >= 0 && n.layer() < 4 && n.index() >= 0 && n.index() < 100);
      flat.add(n.layer() * 100 + n.index());
    }
    assertEquals(flat.size(), flat.stream().distinct().count());
  }
}
