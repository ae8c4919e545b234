package narrow.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads an experiment's YAML file, applies command-line overrides, binds it to
 * {@link ExperimentConfig} and validates every value before Spark starts. Every error names the
 * file and the key.
 */
public final class ConfigLoader {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
      .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
      .registerModule(new SimpleModule().addSerializer(Enum.class, new LowerCaseEnums()));

  /** Enums written as config files spell them ({@code layout: pack}), so a printed config reads back. */
  @SuppressWarnings("rawtypes")
  private static final class LowerCaseEnums extends StdSerializer<Enum> {
    LowerCaseEnums() {
      super(Enum.class);
    }

    @Override
    public void serialize(Enum value, JsonGenerator gen, SerializerProvider provider) throws IOException {
      gen.writeString(value.name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  /** The key naming a config this file extends. */
  static final String EXTENDS = "extends";
  /** A placeholder for the config's output_root in any string value. */
  static final String OUTPUT_ROOT = "${output_root}";

  private ConfigLoader() {}

  public static ExperimentConfig load(Path file, List<String> overrides) {
    return load(file, null, overrides);
  }

  /**
   * Loads {@code file} with run {@code run} of its {@code runs:} grid applied (null: none), then
   * the command-line overrides, which win over both.
   */
  public static ExperimentConfig load(Path file, String run, List<String> overrides) {
    ObjectNode root = tree(file);
    if (run != null) applyRun(file, root, run);
    Map<String, String> fromCommandLine = Overrides.apply(root, overrides);
    substituteOutputRoot(file, root, root, "");
    ConfigErrors errors = new ConfigErrors(file, fromCommandLine);
    ExperimentConfig config = bind(file, root, fromCommandLine, errors);
    config.validate(errors);
    errors.throwIfAny();
    return config;
  }

  /**
   * The names of the file's {@code runs:} grid in the file's order, read without binding or
   * validating anything else: each run is loaded, and may fail, on its own.
   */
  public static List<String> runNames(Path file) {
    List<String> names = new ArrayList<>();
    tree(file).path("runs").fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static ObjectNode tree(Path file) {
    return tree(file, new ArrayList<>());
  }

  /**
   * The file's YAML tree over the tree of the file its {@code extends:} names (relative to its
   * folder), so that experiments sharing a corpus and trainer say them once: mappings merge key by
   * key, any other value replaces the base's, and a base's {@code runs:} grid is not inherited (a
   * grid belongs to the file that lists it).
   */
  private static ObjectNode tree(Path file, List<Path> chain) {
    ObjectNode root = readMapping(file);
    JsonNode base = root.remove(EXTENDS);
    if (base == null) return root;
    if (!base.isTextual() || base.asText().isBlank()) {
      throw new ConfigException(file + ": key '" + EXTENDS + "': expected the path of a config file, got " + base);
    }
    Path parent = file.toAbsolutePath().normalize().resolveSibling(base.asText()).normalize();
    chain.add(file.toAbsolutePath().normalize());
    if (chain.contains(parent)) {
      throw new ConfigException(file + ": key '" + EXTENDS + "': " + base.asText() + " extends this file again ("
          + chain.stream().map(Path::toString).collect(Collectors.joining(" -> ")) + " -> " + parent + ")");
    }
    if (!Files.isRegularFile(parent)) {
      throw new ConfigException(file + ": key '" + EXTENDS + "': no such config file " + parent);
    }
    ObjectNode merged = tree(parent, chain);
    merged.remove("runs");
    merge(merged, root);
    return merged;
  }

  private static void merge(ObjectNode into, ObjectNode from) {
    from.fields().forEachRemaining(e -> {
      JsonNode mine = into.get(e.getKey());
      if (mine instanceof ObjectNode m && e.getValue() instanceof ObjectNode o) merge(m, o);
      else into.set(e.getKey(), e.getValue());
    });
  }

  private static ObjectNode readMapping(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(file + ": no such config file");
    }
    ObjectNode root;
    try {
      JsonNode tree = YAML.readTree(file.toFile());
      if (tree == null || !tree.isObject()) {
        throw new ConfigException(file + ": expected a YAML mapping at the top level");
      }
      root = (ObjectNode) tree;
    } catch (JsonProcessingException e) {
      throw new ConfigException(file + ": not valid YAML: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
    }
    return root;
  }

  /**
   * Replaces {@code ${output_root}} in every string value by the config's {@code output_root}, so
   * that a run's base model or teacher can be another run of the same study's tree wherever the
   * tree is (a local folder, {@code s3a://}, {@code gs://}).
   */
  private static void substituteOutputRoot(Path file, ObjectNode root, JsonNode node, String at) {
    if (!(node instanceof ObjectNode object)) return;
    object.fields().forEachRemaining(e -> {
      String key = at.isEmpty() ? e.getKey() : at + "." + e.getKey();
      JsonNode value = e.getValue();
      if (value.isTextual() && value.asText().contains(OUTPUT_ROOT)) {
        JsonNode outputRoot = root.get("output_root");
        if (outputRoot == null || !outputRoot.isTextual() || outputRoot.asText().isBlank()) {
          throw new ConfigException(file + ": key '" + key + "' uses " + OUTPUT_ROOT
              + " but the config sets no output_root: set it (the study's folder), or write the path out");
        }
        e.setValue(new com.fasterxml.jackson.databind.node.TextNode(
            value.asText().replace(OUTPUT_ROOT, withoutTrailingSlash(outputRoot.asText()))));
      } else {
        substituteOutputRoot(file, root, value, key);
      }
    });
  }

  private static String withoutTrailingSlash(String s) {
    return s.length() > 1 && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  private static void applyRun(Path file, ObjectNode root, String run) {
    JsonNode runs = root.path("runs");
    JsonNode chosen = runs.path(run);
    if (!chosen.isObject()) {
      List<String> names = new ArrayList<>();
      runs.fieldNames().forEachRemaining(names::add);
      throw new ConfigException(file + ": no run '" + run + "'" + (names.isEmpty()
          ? " (this experiment has no runs: grid; leave out --run)"
          : "; runs: " + String.join(", ", names)));
    }
    chosen.fields().forEachRemaining(
        e -> Overrides.set(root, e.getKey(), e.getValue(), file + ": runs." + run + "." + e.getKey()));
    root.put("run", run);
  }

  /** The tree as a config; an error names the file, or the {@code --set} that gave the key at fault. */
  private static ExperimentConfig bind(Path file, ObjectNode root, Map<String, String> fromCommandLine,
      ConfigErrors errors) {
    try {
      return YAML.readerFor(ExperimentConfig.class).withHandler(new ChoiceProblems(errors)).readValue(root);
    } catch (UnrecognizedPropertyException e) {
      String known = e.getKnownPropertyIds().stream().map(Object::toString).sorted()
          .collect(Collectors.joining(", "));
      throw new ConfigException(blame(file, fromCommandLine, keyOf(e)) + ": unknown key '" + keyOf(e)
          + "' (known here: " + known + ")");
    } catch (InvalidFormatException e) {
      throw new ConfigException(blame(file, fromCommandLine, keyOf(e)) + ": key '" + keyOf(e) + "': '"
          + e.getValue() + "' is not a valid " + describe(e.getTargetType()));
    } catch (MismatchedInputException e) {
      throw new ConfigException(blame(file, fromCommandLine, keyOf(e)) + ": key '" + keyOf(e) + "': expected "
          + describe(e.getTargetType()) + " (" + e.getOriginalMessage() + ")");
    } catch (JsonProcessingException e) {
      throw new ConfigException(file + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) { // a tree in memory has nothing to read
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String blame(Path file, Map<String, String> fromCommandLine, String key) {
    String given = ConfigErrors.origin(fromCommandLine, key);
    return given != null ? given : file.toString();
  }

  private static String keyOf(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining(".")).replace(".[", "[");
  }

  private static String describe(Class<?> type) {
    if (type == null) return "value";
    if (type.isEnum()) {
      return "value, one of " + ChoiceProblems.allowed(type);
    }
    if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
      return "integer";
    }
    if (type == double.class || type == Double.class) return "number";
    if (type == boolean.class || type == Boolean.class) return "boolean (true/false)";
    if (List.class.isAssignableFrom(type)) return "list";
    return type.getSimpleName();
  }

  /** The resolved configuration as YAML, for logs and manifests. */
  public static String toYaml(ExperimentConfig config) {
    try {
      return YAML.writeValueAsString(config);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
