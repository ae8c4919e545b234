package narrow.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The job's own checks of its settings and its shard size rule; no Spark. */
class TokenizeSettingsCheckTest {
  static TokenizeSettings s(int seqLen, double validation, long rows, long bytes, String encoder) {
    return new TokenizeSettings("in", "out", List.of("Python"), List.of(), TokenizeSettings.Layout.PACK,
        seqLen, validation, TestSpark.tokenizer().toString(), encoder, rows, bytes, true, false, 1, false);
  }

  @Test
  void badSettingsAreNamedTogether() {
    TokenizeException e = assertThrows(TokenizeException.class,
        () -> TokenizeJob.validate(s(1, 1.5, -1, 0, "slow")));
    assertTrue(e.getMessage().contains("seqLen"), e.getMessage());
    assertTrue(e.getMessage().contains("validationFraction"), e.getMessage());
    assertTrue(e.getMessage().contains("rowsPerShard"), e.getMessage());
    assertTrue(e.getMessage().contains("encoder"), e.getMessage());
    TokenizeJob.validate(s(1024, 0.01, 0, 0, "fast"));
  }

  @Test
  void shardRowsFromRowsOrBytes() {
    assertEquals(0, TokenizeJob.recordsPerShard(s(1024, 0, 0, 0, "fast")));
    assertEquals(500, TokenizeJob.recordsPerShard(s(1024, 0, 500, 0, "fast")));
    assertEquals(256, TokenizeJob.recordsPerShard(s(1024, 0, 0, 1L << 20, "fast"))); // 1 MiB / 4 KiB rows
    assertEquals(100, TokenizeJob.recordsPerShard(s(1024, 0, 100, 1L << 20, "fast"))); // the smaller wins
    assertEquals(1, TokenizeJob.recordsPerShard(s(1024, 0, 0, 10, "fast")));
  }
}
