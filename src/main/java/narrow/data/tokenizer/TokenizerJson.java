package narrow.data.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import narrow.util.UserError;

/**
 * The parts of a Hugging Face tokenizer.json that a byte-level BPE encoder needs, read and
 * checked. The fast encoder implements one pipeline (no normalizer, the Llama-3 split pattern,
 * byte-level, BPE without dropout or byte fallback); a file asking for anything else is refused
 * with the field named, rather than encoded differently from the oracle.
 *
 * @param vocab token spelled in the byte-level alphabet to id
 * @param merges pairs of tokens, lowest rank first
 * @param addedTokens added tokens' content to id; matched literally in the text
 * @param ignoreMerges whether a pre-token that is itself in the vocabulary is emitted whole
 */
record TokenizerJson(
    TokenizerInfo info,
    Map<String, Integer> vocab,
    List<String[]> merges,
    Map<String, Integer> addedTokens,
    boolean ignoreMerges) {

  static final String LLAMA3_PATTERN =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
          + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

  static TokenizerJson load(Path file) {
    byte[] bytes = TokenizerFiles.read(file);
    JsonNode root = parse(file, bytes);
    checkPipeline(file, root);
    JsonNode model = root.path("model");
    Map<String, Integer> vocab = readVocab(file, model.path("vocab"));
    Map<String, Integer> added = readAddedTokens(file, root.path("added_tokens"));
    return new TokenizerJson(info(file, bytes, vocab, added), vocab,
        readMerges(file, model.path("merges")), added, model.path("ignore_merges").asBoolean(false));
  }

  /** Only the facts of a file, whatever pipeline it describes (the oracle runs any). */
  static TokenizerInfo info(Path file) {
    byte[] bytes = TokenizerFiles.read(file);
    JsonNode root = parse(file, bytes);
    return info(file, bytes, readVocab(file, root.path("model").path("vocab")),
        readAddedTokens(file, root.path("added_tokens")));
  }

  private static TokenizerInfo info(
      Path file, byte[] bytes, Map<String, Integer> vocab, Map<String, Integer> added) {
    int vocabSize = 1 + Math.max(
        vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1),
        added.values().stream().mapToInt(Integer::intValue).max().orElse(-1));
    return new TokenizerInfo(file, TokenizerFiles.sha256(bytes), vocabSize,
        requireAdded(file, added, "<|begin_of_text|>"), requireAdded(file, added, "<|end_of_text|>"));
  }

  private static JsonNode parse(Path file, byte[] bytes) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(bytes);
    } catch (JsonProcessingException e) {
      throw invalid(file, "not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw invalid(file, "cannot parse: " + e.getMessage());
    }
    if (root == null || !root.isObject()) throw invalid(file, "not a JSON object");
    return root;
  }

  private static void checkPipeline(Path file, JsonNode root) {
    if (!root.path("normalizer").isNull() && !root.path("normalizer").isMissingNode()) {
      throw invalid(file, "normalizer must be null");
    }
    JsonNode steps = root.path("pre_tokenizer").path("pretokenizers");
    JsonNode split = steps.path(0);
    JsonNode byteLevel = steps.path(1);
    boolean expected = "Sequence".equals(root.path("pre_tokenizer").path("type").asText())
        && steps.size() == 2
        && "Split".equals(split.path("type").asText())
        && LLAMA3_PATTERN.equals(split.path("pattern").path("Regex").asText())
        && "Isolated".equals(split.path("behavior").asText())
        && !split.path("invert").asBoolean(false)
        && "ByteLevel".equals(byteLevel.path("type").asText())
        && !byteLevel.path("add_prefix_space").asBoolean(true)
        && !byteLevel.path("use_regex").asBoolean(true);
    if (!expected) {
      throw invalid(file, "pre_tokenizer must be Sequence[Split(Llama-3 pattern, Isolated), "
          + "ByteLevel(add_prefix_space=false, use_regex=false)]");
    }
    JsonNode model = root.path("model");
    if (!"BPE".equals(model.path("type").asText())) throw invalid(file, "model.type must be BPE");
    for (String absent : List.of("dropout", "continuing_subword_prefix", "end_of_word_suffix")) {
      JsonNode v = model.path(absent);
      if (!v.isMissingNode() && !v.isNull() && !v.asText().isEmpty()) {
        throw invalid(file, "model." + absent + " must be null");
      }
    }
    if (model.path("byte_fallback").asBoolean(false)) {
      throw invalid(file, "model.byte_fallback must be false");
    }
  }

  private static Map<String, Integer> readVocab(Path file, JsonNode node) {
    if (!node.isObject() || node.isEmpty()) throw invalid(file, "model.vocab must be a non-empty object");
    Map<String, Integer> vocab = new HashMap<>(node.size() * 2);
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
        throw invalid(file, "model.vocab[" + e.getKey() + "] is not a token id");
      }
      vocab.put(e.getKey(), e.getValue().asInt());
    }
    return vocab;
  }

  /** Merges come as "left right" strings (older files) or [left, right] arrays (newer). */
  private static List<String[]> readMerges(Path file, JsonNode node) {
    if (!node.isArray()) throw invalid(file, "model.merges must be an array");
    List<String[]> merges = new ArrayList<>(node.size());
    for (JsonNode m : node) {
      String[] pair;
      if (m.isTextual()) {
        String s = m.asText();
        int space = s.indexOf(' ', 1);
        pair = space < 0 ? null : new String[] {s.substring(0, space), s.substring(space + 1)};
      } else if (m.isArray() && m.size() == 2) {
        pair = new String[] {m.get(0).asText(), m.get(1).asText()};
      } else {
        pair = null;
      }
      if (pair == null) throw invalid(file, "model.merges[" + merges.size() + "] is not a pair: " + m);
      merges.add(pair);
    }
    return merges;
  }

  private static Map<String, Integer> readAddedTokens(Path file, JsonNode node) {
    Map<String, Integer> added = new HashMap<>();
    for (JsonNode t : node) {
      if (t.path("lstrip").asBoolean(false) || t.path("rstrip").asBoolean(false)
          || t.path("single_word").asBoolean(false)) {
        throw invalid(file, "added token " + t.path("content").asText()
            + ": lstrip, rstrip and single_word are not supported");
      }
      if (!t.path("id").canConvertToInt() || !t.path("content").isTextual()) {
        throw invalid(file, "added token without id or content: " + t);
      }
      added.put(t.path("content").asText(), t.path("id").asInt());
    }
    return added;
  }

  private static int requireAdded(Path file, Map<String, Integer> added, String content) {
    Integer id = added.get(content);
    if (id == null) throw invalid(file, "no added token " + content);
    return id;
  }

  static UserError invalid(Path file, String why) {
    return new UserError("tokenizer file " + file + ": " + why);
  }
}
