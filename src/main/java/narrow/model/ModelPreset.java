package narrow.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A from-scratch model size of the study, named {@code d{hidden}_l{layers}_h{heads}}: intermediate
 * 4 × hidden, key/value heads = heads, everything else from Llama-3.1-8B's config (vocabulary,
 * rope, untied head, special ids), as {@code trainscratch01} builds them.
 */
public record ModelPreset(String name, int hidden, int layers, int heads) {
  private static final Pattern NAME = Pattern.compile("d(\\d{1,6})_l(\\d{1,4})_h(\\d{1,4})");

  public ModelPreset {
    if (hidden <= 0 || layers <= 0 || heads <= 0) {
      throw new IllegalArgumentException("model preset '" + name + "': sizes must be positive");
    }
    if (hidden % heads != 0) {
      throw new IllegalArgumentException("model preset '" + name + "': hidden " + hidden
          + " is not divisible by " + heads + " heads");
    }
    if ((hidden / heads) % 2 != 0) {
      throw new IllegalArgumentException("model preset '" + name + "': head width "
          + hidden / heads + " is odd; rotary embeddings need an even one");
    }
  }

  public static ModelPreset parse(String name) {
    Matcher m = NAME.matcher(name == null ? "" : name);
    if (!m.matches()) {
      throw new IllegalArgumentException("model preset '" + name
          + "' is not of the form d{hidden}_l{layers}_h{heads}, e.g. d256_l4_h4");
    }
    return new ModelPreset(name, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
        Integer.parseInt(m.group(3)));
  }

  public int intermediate() {
    return 4 * hidden;
  }

  public LlamaConfig config() {
    Map<String, JsonNode> extra = new LinkedHashMap<>();
    JsonNodeFactory f = JsonNodeFactory.instance;
    extra.put("architectures", f.arrayNode().add("LlamaForCausalLM"));
    extra.put("model_type", f.textNode("llama"));
    extra.put("hidden_act", f.textNode("silu"));
    extra.put("attention_bias", f.booleanNode(false));
    extra.put("attention_dropout", f.numberNode(0.0));
    extra.put("mlp_bias", f.booleanNode(false));
    extra.put("pretraining_tp", f.numberNode(1));
    extra.put("use_cache", f.booleanNode(true));
    int eos = 128001;
    return new LlamaConfig(128256, hidden, intermediate(), layers, heads, heads, hidden / heads,
        1e-5, 500000.0, LlamaConfig.RopeScaling.llama3(8.0, 1.0, 4.0, 8192), 131072, false,
        128000, List.of(eos), eos, 0.02, "float32", extra);
  }
}
