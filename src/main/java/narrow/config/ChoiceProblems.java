package narrow.config;

import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Adds a setting that names an unknown choice ({@code data.encoder: turbo}) to the config's errors
 * and binds it as unset, so that binding goes on and every problem shows at once. A choice is an
 * enum, spelled in lower case, or a type read from a string whose parser throws
 * {@link IllegalArgumentException} with the allowed forms ({@code model.device}).
 */
final class ChoiceProblems extends DeserializationProblemHandler {
  private final ConfigErrors errors;

  ChoiceProblems(ConfigErrors errors) {
    this.errors = errors;
  }

  @Override
  public Object handleWeirdStringValue(DeserializationContext ctxt, Class<?> targetType, String value,
      String failureMsg) {
    if (!targetType.isEnum()) return NOT_HANDLED;
    errors.add(key(ctxt), "must be one of " + allowed(targetType) + ", got '" + value + "'");
    return null;
  }

  @Override
  public Object handleInstantiationProblem(DeserializationContext ctxt, Class<?> instClass, Object argument,
      Throwable t) {
    Throwable cause = t.getCause() != null ? t.getCause() : t;
    if (!(argument instanceof String) || !(cause instanceof IllegalArgumentException)) return NOT_HANDLED;
    errors.add(key(ctxt), cause.getMessage());
    return null;
  }

  static String allowed(Class<?> enumType) {
    return Arrays.stream(enumType.getEnumConstants())
        .map(c -> ((Enum<?>) c).name().toLowerCase(java.util.Locale.ROOT)).collect(Collectors.joining(", "));
  }

  /** The dotted key of the value being read ({@code data.encoder}). */
  private static String key(DeserializationContext ctxt) {
    StringBuilder key = new StringBuilder();
    for (JsonStreamContext c = ctxt.getParser().getParsingContext(); c != null && !c.inRoot(); c = c.getParent()) {
      String part = c.inArray() ? "[" + c.getCurrentIndex() + "]" : c.getCurrentName();
      if (part == null) continue;
      if (key.length() > 0 && key.charAt(0) != '[') key.insert(0, '.');
      key.insert(0, part);
    }
    return key.toString();
  }
}
