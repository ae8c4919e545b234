package narrow.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import narrow.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenEncodersTest {
  /** The checksum data-prep/fetch-tokenizer.sh verifies. */
  private static final String LLAMA31_SHA256 =
      "e134af98b985517b4f068e3755ae90d4e9cd2d45d328325dc503f1c6b2d06cc7";

  @TempDir Path dir;

  @Test
  void bothKindsDescribeTheFileAlike() {
    Path file = TokenizerFiles.defaultLlama31();
    try (TokenEncoder fast = TokenEncoders.create("fast", file);
        TokenEncoder oracle = TokenEncoders.create("oracle", file)) {
      assertEquals("fast", fast.name());
      assertEquals("oracle", oracle.name());
      assertEquals(new TokenizerInfo(file, LLAMA31_SHA256, 128_256, 128_000, 128_001), fast.info());
      assertEquals(fast.info(), oracle.info());
    }
  }

  @Test
  void unknownKindIsRefusedWithTheKnownOnes() {
    UserError e = assertThrows(UserError.class,
        () -> TokenEncoders.create("tiktoken", TokenizerFiles.defaultLlama31()));
    assertTrue(e.getMessage().contains("tiktoken") && e.getMessage().contains("fast, oracle"),
        e.getMessage());
  }

  @Test
  void missingFileIsNamed() {
    Path missing = dir.resolve("nowhere/tokenizer.json");
    for (String kind : TokenEncoders.KINDS) {
      UserError e = assertThrows(UserError.class,
          () -> TokenEncoders.create(kind, missing));
      assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }
  }

  @Test
  void truncatedFileIsNamed() throws IOException {
    byte[] whole = Files.readAllBytes(TokenizerFiles.defaultLlama31());
    Path truncated = Files.write(dir.resolve("tokenizer.json"),
        java.util.Arrays.copyOf(whole, whole.length / 2));
    for (String kind : TokenEncoders.KINDS) {
      UserError e = assertThrows(UserError.class,
          () -> TokenEncoders.create(kind, truncated));
      assertTrue(e.getMessage().contains(truncated.toString())
          && e.getMessage().contains("not valid JSON"), e.getMessage());
    }
  }

  @Test
  void anotherPipelineIsRefusedByTheFastEncoder() throws IOException {
    String json = Files.readString(TokenizerFiles.defaultLlama31())
        .replace("\"normalizer\": null", "\"normalizer\": {\"type\": \"NFC\"}");
    Path other = Files.writeString(dir.resolve("nfc.json"), json, StandardCharsets.UTF_8);
    UserError e = assertThrows(UserError.class,
        () -> TokenEncoders.create("fast", other));
    assertTrue(e.getMessage().contains(other.toString())
        && e.getMessage().contains("normalizer"), e.getMessage());
  }
}
