package narrow.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Command-line overrides of file values: {@code data.seq_len=512}. The value is read as YAML,
 * so {@code 512} is a number, {@code [Python, C]} a list and {@code true} a boolean.
 */
public final class Overrides {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private Overrides() {}

  /**
   * Applies the assignments; returns each key set with how the command line spelled it
   * ({@code --set data.seq_len=512}), so that a problem with its value is blamed on {@code --set}.
   */
  public static Map<String, String> apply(ObjectNode root, List<String> assignments) {
    Map<String, String> origins = new LinkedHashMap<>();
    for (String assignment : assignments) {
      int eq = assignment.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException("--set " + assignment + ": expected key=value, e.g. data.seq_len=512");
      }
      String key = assignment.substring(0, eq).trim();
      set(root, key, parseValue(key, assignment.substring(eq + 1)), "--set " + key);
      origins.put(key, "--set " + assignment.strip());
    }
    return origins;
  }

  /** Sets {@code a.b.c} in the tree, making sections as needed; {@code where} prefixes errors. */
  public static void set(ObjectNode root, String key, JsonNode value, String where) {
    String[] path = key.split("\\.");
    ObjectNode node = root;
    for (int i = 0; i < path.length - 1; i++) {
      JsonNode child = node.get(path[i]);
      if (child == null || child.isNull()) {
        child = node.putObject(path[i]);
      } else if (!child.isObject()) {
        throw new ConfigException(where + ": '" + path[i] + "' is not a section");
      }
      node = (ObjectNode) child;
    }
    node.set(path[path.length - 1], value);
  }

  private static JsonNode parseValue(String key, String text) {
    if (text.isBlank()) return YAML.getNodeFactory().textNode("");
    try {
      JsonNode value = YAML.readTree(text);
      return value == null ? YAML.getNodeFactory().nullNode() : value;
    } catch (IOException e) {
      throw new ConfigException("--set " + key + ": cannot read value '" + text + "'");
    }
  }
}
