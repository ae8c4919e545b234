package narrow.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import narrow.data.TestDatasets;
import narrow.engine.NativeMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer streams its data: a JVM whose heap is about half the size of the corpus's token ids
 * (64M ids = 256 MB as ints, -Xmx128m) trains on it. Reading the split into the heap, as the
 * trainer did before it streamed, needs those 256 MB of int arrays alone.
 */
@narrow.Slow
class StreamingMemoryTest {
  static final int SEQ = 1024;
  static final int SHARDS = 8;
  static final int ROWS_PER_SHARD = 7_813; // 8 x 7,813 x 1,024 = 64.0M ids

  @TempDir Path tmp;

  @Test
  void aHeapSmallerThanTheCorpusTrains() throws Exception {
    Path data = tmp.resolve("data");
    SplittableRandom rng = new SplittableRandom(1);
    for (int s = 0; s < SHARDS; s++) {
      List<int[]> rows = new ArrayList<>(ROWS_PER_SHARD);
      for (int r = 0; r < ROWS_PER_SHARD; r++) {
        int[] row = new int[SEQ];
        for (int i = 0; i < SEQ; i++) row[i] = rng.nextInt(318); // the fixture model's vocabulary
        rows.add(row);
      }
      TestDatasets.writeShard(data.resolve("train/part-0000" + s + ".parquet"), rows, TestDatasets.REPEATED_INT);
    }
    TestDatasets.commit(data, "train");
    long ids = (long) SHARDS * ROWS_PER_SHARD * SEQ;

    Path conf = Files.writeString(tmp.resolve("exp.yaml"), """
        experiment: lowheap
        data: {input: %s, output: %s, seq_len: %d}
        model: {pretrained: %s}
        train: {output_dir: %s, max_steps: 3, per_device_train_batch_size: 2, logging_steps: 1,
                eval_steps: 0, save_steps: 0, shuffle_buffer_rows: 4096}
        """.formatted(tmp, data, SEQ, OptimizerMathTest.fixtures().resolve("untied-mha").toAbsolutePath(),
        tmp.resolve("out")));
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m"));
    cmd.addAll(NativeMemory.javacppOptions());
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "narrow.cli.Main", "train", conf.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "timed out:\n" + out);
    assertEquals(0, p.exitValue(), "training with -Xmx128m on " + ids + " ids failed:\n" + out);
    assertTrue(out.contains("train: 3 steps"), out);
    assertTrue(ids * Integer.BYTES > 128L * 1024 * 1024 * 19 / 10, "the ids are nearly twice the heap");
    assertTrue(Files.exists(tmp.resolve("out/untied-mha/final_model/model.safetensors")));
    System.out.println("trained with -Xmx128m on " + ids + " ids (" + (ids * 4 >> 20) + " MiB as ints); corpus on disk "
        + (dirBytes(data.toFile()) >> 20) + " MiB");
  }

  private static long dirBytes(File f) {
    if (f.isFile()) return f.length();
    long n = 0;
    File[] kids = f.listFiles();
    if (kids != null) for (File k : kids) n += dirBytes(k);
    return n;
  }
}
