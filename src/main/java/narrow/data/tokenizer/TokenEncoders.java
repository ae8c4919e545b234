package narrow.data.tokenizer;

import java.nio.file.Path;
import java.util.List;
import narrow.util.UserError;

/** Makes the encoder a configuration names. */
public final class TokenEncoders {
  /** The kinds {@link #create} knows: the production encoder and Hugging Face's own. */
  public static final List<String> KINDS = List.of("fast", "oracle");

  private TokenEncoders() {}

  /**
   * An encoder of kind {@code "fast"} ({@link FastBpeEncoder}) or {@code "oracle"}
   * ({@link HfOracleEncoder}) for {@code tokenizerJson}.
   *
   * @throws UserError for an unknown kind, or a file that is missing or invalid
   *     (the message names it)
   */
  public static TokenEncoder create(String kind, Path tokenizerJson) {
    return switch (kind) {
      case "fast" -> new FastBpeEncoder(tokenizerJson);
      case "oracle" -> new HfOracleEncoder(tokenizerJson);
      default -> throw new UserError(
          "unknown tokenizer kind '" + kind + "' (known: " + String.join(", ", KINDS) + ")");
    };
  }
}
