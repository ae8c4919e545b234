package narrow.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import narrow.train.TestShardsAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shard of the training data that is missing, cut short or corrupt stops {@code narrow train}
 * with one line naming the shard, what is wrong and how to rebuild it (exit code 2, no trace):
 * before the first step where the manifest tells (sizes, presence), at the row group where it
 * is read otherwise.
 */
@narrow.Slow
class BrokenShardsTest {
  @TempDir Path dir;

  private Path dataset() throws IOException {
    return TestShardsAccess.learnable(dir.resolve("data"), 318, 318, 24, true, 16, 4, 1);
  }

  private CliTest.Run train(Path data) throws IOException {
    Path experiment = Files.writeString(dir.resolve("exp.yaml"), """
        experiment: broken
        data: {input: %s, output: %s, seq_len: 24}
        model: {preset: d16_l1_h2, seed: 7}
        train: {output_dir: %s, max_steps: 4, per_device_train_batch_size: 2, logging_steps: 1, eval_steps: 0,
                save_steps: 0, bf16: false}
        """.formatted(dir, data, dir.resolve("runs")));
    return CliTest.narrow("train", experiment.toString());
  }

  private static String oneLine(CliTest.Run r) {
    assertEquals(2, r.exit(), r.out() + r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace:\n" + r.err());
    assertFalse(r.out().contains("step 1"), "no training step before the check:\n" + r.out());
    return r.err().lines().filter(l -> l.startsWith("narrow train: ")).findFirst().orElse(r.err());
  }

  @Test
  void aShardCutShortIsFoundBeforeTraining() throws IOException {
    Path data = dataset();
    Path shard = data.resolve("train/part-00001.parquet");
    long size = Files.size(shard);
    try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
      f.setLength(size - 100);
    }
    String line = oneLine(train(data));
    assertTrue(line.contains("train/part-00001.parquet is " + (size - 100) + " bytes"), line);
    assertTrue(line.contains("lists " + size + " (cut short"), line);
    assertTrue(line.contains("rebuild the tokenized dataset (narrow tokenize with data.overwrite: true)"), line);
  }

  @Test
  void aMissingShardIsFoundBeforeTraining() throws IOException {
    Path data = dataset();
    Files.delete(data.resolve("train/part-00000.parquet"));
    String line = oneLine(train(data));
    assertTrue(line.contains("train/part-00000.parquet is missing"), line);
    assertTrue(line.contains("(manifest.json lists it with 8 rows)"), line);
    assertTrue(line.contains("rebuild the tokenized dataset"), line);
  }

  @Test
  void aCorruptRowGroupIsNamedWhereItIsRead() throws IOException {
    Path data = dataset();
    Path shard = data.resolve("train/part-00000.parquet");
    Files.deleteIfExists(data.resolve("train/.part-00000.parquet.crc")); // the damage must reach Parquet
    try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
      f.seek(4); // past the magic number: the first page's header
      for (int i = 0; i < 24; i++) f.write(0xFF);
    }
    String line = oneLine(train(data));
    assertTrue(line.contains("train/part-00000.parquet is corrupt at row group 0"), line);
    assertTrue(line.contains("rebuild the tokenized dataset"), line);
  }
}
