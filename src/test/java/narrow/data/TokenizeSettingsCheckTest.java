package narrow.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The job's shard size rule; no Spark. The settings' checks are the config's (ConfigLoaderTest). */
class TokenizeSettingsCheckTest {
  static TokenizeSettings s(int seqLen, double validation, long rows, long bytes) {
    return new TokenizeSettings("in", "out", List.of("Python"), List.of(), TokenizeSettings.Layout.PACK,
        seqLen, validation, TestSpark.tokenizer().toString(), TokenizeSettings.Encoder.FAST, rows, bytes, true, false, 1L, false);
  }

  @Test
  void shardRowsFromRowsOrBytes() {
    assertEquals(0, TokenizeJob.recordsPerShard(s(1024, 0, 0, 0)));
    assertEquals(500, TokenizeJob.recordsPerShard(s(1024, 0, 500, 0)));
    assertEquals(256, TokenizeJob.recordsPerShard(s(1024, 0, 0, 1L << 20))); // 1 MiB / 4 KiB rows
    assertEquals(100, TokenizeJob.recordsPerShard(s(1024, 0, 100, 1L << 20))); // the smaller wins
    assertEquals(1, TokenizeJob.recordsPerShard(s(1024, 0, 0, 10)));
  }
}
