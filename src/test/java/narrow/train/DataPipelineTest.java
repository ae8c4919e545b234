package narrow.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import narrow.data.TestDatasets;
import narrow.data.TokenizeException;
import narrow.data.TokenizedDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataPipelineTest {
  @TempDir Path tmp;

  @Test
  void readsBothLayoutsInShardOrderAndCutsLongRows() throws IOException {
    Path ds = tmp.resolve("ds");
    List<int[]> a = List.of(new int[] {128000, 5, 6, 7}, new int[] {128000, 9});
    List<int[]> b = List.of(new int[] {128000, 1, 2, 3, 4, 5, 6}, new int[] {128000});
    TestShards.writeShard(ds.resolve("train/part-00001.parquet"), b);
    TestShards.writeShard(ds.resolve("train/part-00000.parquet"), a);
    TokenizeException unfinished = assertThrows(TokenizeException.class, () -> TokenizedDataset.open(ds).rows("train", 5));
    assertTrue(unfinished.getMessage().contains("no _SUCCESS marker"), unfinished.getMessage());
    // marker, no manifest: a folder made by hand, read in shard-name order
    Files.writeString(ds.resolve("_SUCCESS"), "");
    List<int[]> rows = TokenizedDataset.open(ds).rows("train", 5);
    assertEquals(3, rows.size(), "the one-token row has nothing to predict and is dropped");
    assertArrayEquals(new int[] {128000, 5, 6, 7}, rows.get(0));
    assertArrayEquals(new int[] {128000, 9}, rows.get(1));
    assertArrayEquals(new int[] {128000, 1, 2, 3, 4}, rows.get(2));
    TokenizeException noSplit = assertThrows(TokenizeException.class, () -> TokenizedDataset.open(ds).rows("validation", 5));
    assertTrue(noSplit.getMessage().contains("no validation/ folder"), noSplit.getMessage());
  }

  @Test
  void aSplitWithoutShardsIsNamedWithTheWayOut() throws IOException {
    Path ds = tmp.resolve("ds");
    TestShards.writeShard(ds.resolve("train/part-00000.parquet"), List.of(new int[] {128000, 5}, new int[] {128000, 6}));
    Files.createDirectories(ds.resolve("validation")); // the job's empty split: a folder, no shards
    TestDatasets.commit(ds, "train", "validation");
    assertEquals(1, TokenizedDataset.open(ds).rowGroups("train").size());
    assertTrue(TokenizedDataset.open(ds).rowGroups("validation").isEmpty());
    TrainingArguments args = TrainingArguments.defaults(tmp.resolve("out").toString())
        .with(java.util.Map.of("max_steps", 1, "per_device_train_batch_size", 1, "eval_steps", 1, "max_length", 8));
    narrow.util.UserError e = assertThrows(narrow.util.UserError.class, () -> Trainer.open(
        TrainRun.of(new ModelSource.Fresh(TrainerTest.tinyConfig(), 1), ds, args)));
    assertTrue(e.getMessage().contains("no shards in its validation split") && e.getMessage().contains("eval_steps"),
        e.getMessage());
  }

  @Test
  void collatePadsRightAndMasksPadsOnly() {
    Batch b = Batch.collate(List.of(new int[] {128000, 11, 12}, new int[] {128000, 128001}), 128001);
    assertEquals(2, b.rows());
    assertEquals(3, b.cols());
    assertArrayEquals(new long[] {128000, 11, 12, 128000, 128001, 128001}, b.inputIds());
    // a real eos keeps its label even though pad == eos: masking is by position
    assertArrayEquals(new long[] {128000, 11, 12, 128000, 128001, -100}, b.labels());
    assertEquals(5, b.realTokens());
  }

  /**
   * The streamed order: every row once per epoch, recomputable from (seed, micro-batch) alone, the
   * same global batches whatever slice a replica reads, and a new order each epoch.
   */
  @Test
  void trainingRowsAreASeededWindowedOrderPerEpoch() throws IOException {
    Path ds = tmp.resolve("ds");
    int id = 0;
    for (int shard = 0; shard < 3; shard++) {
      List<int[]> rows = new java.util.ArrayList<>();
      for (int r = 0; r < 7; r++) rows.add(new int[] {128000, id++});
      TestShards.writeShard(ds.resolve("train/part-0000" + shard + ".parquet"), rows);
    }
    TestDatasets.commit(ds, "train");
    TokenizedDataset data = TokenizedDataset.open(ds);
    TrainingRows order = new TrainingRows(data, "train", 8, 7, 4, 10);
    assertEquals(21, order.rows());
    assertEquals(5, order.batchesPerEpoch(), "21 rows in batches of 4: the incomplete fifth is dropped");
    Set<Integer> seen = new HashSet<>();
    for (int b = 0; b < 5; b++) for (int[] row : order.slice(b, 0, 4)) assertTrue(seen.add(row[1]), "once per epoch");
    assertEquals(20, seen.size());

    TrainingRows again = new TrainingRows(data, "train", 8, 7, 4, 10);
    for (long b : new long[] {7, 2, 11}) { // any order of access, across epochs
      assertEquals(ids(order.slice(b, 0, 4)), ids(again.slice(b, 0, 4)), "recomputable: batch " + b);
      List<Integer> halves = ids(again.slice(b, 0, 2));
      halves.addAll(ids(again.slice(b, 2, 4)));
      assertEquals(ids(order.slice(b, 0, 4)), halves, "two replicas' slices are the global batch");
    }
    assertNotEquals(ids(order.slice(0, 0, 4)), ids(order.slice(5, 0, 4)), "each epoch its own order");
    assertNotEquals(ids(order.slice(0, 0, 4)), ids(new TrainingRows(data, "train", 8, 8, 4, 10).slice(0, 0, 4)));
    assertThrows(narrow.util.UserError.class, () -> new TrainingRows(data, "train", 8, 7, 22, 10),
        "fewer rows than a batch: the user's to fix");
  }

  /**
   * skip_train_rows leaves out the first rows of the split in file order (pruning's attribution
   * rows), a row group partly: every other row comes once per epoch, in an order that is still a
   * pure function of (seed, step, global batch).
   */
  @Test
  void trainingSkipsTheFirstRowsInFileOrder() throws IOException {
    Path ds = tmp.resolve("skip");
    int id = 0;
    for (int shard = 0; shard < 3; shard++) {
      List<int[]> rows = new java.util.ArrayList<>();
      for (int r = 0; r < 7; r++) rows.add(new int[] {128000, id++});
      TestShards.writeShard(ds.resolve("train/part-0000" + shard + ".parquet"), rows);
    }
    TestDatasets.commit(ds, "train");
    TokenizedDataset data = TokenizedDataset.open(ds);
    TrainingRows order = new TrainingRows(data, "train", 8, 7, 4, 10, 9); // shard 0 and 2 rows of shard 1
    assertEquals(12, order.rows());
    assertEquals(3, order.batchesPerEpoch());
    for (long epoch = 0; epoch < 2; epoch++) {
      Set<Integer> seen = new HashSet<>();
      for (int b = 0; b < 3; b++) {
        for (int[] row : order.slice(epoch * 3 + b, 0, 4)) assertTrue(seen.add(row[1]), "once per epoch");
      }
      Set<Integer> expected = new HashSet<>();
      for (int i = 9; i < 21; i++) expected.add(i);
      assertEquals(expected, seen, "the rows after the skipped ones, epoch " + epoch);
    }
    TrainingRows again = new TrainingRows(data, "train", 8, 7, 4, 10, 9);
    for (long b : new long[] {4, 0, 2}) {
      List<Integer> halves = ids(again.slice(b, 0, 2));
      halves.addAll(ids(again.slice(b, 2, 4)));
      assertEquals(ids(order.slice(b, 0, 4)), halves, "recomputable in slices: batch " + b);
    }
    assertEquals(ids(new TrainingRows(data, "train", 8, 7, 4, 10).slice(3, 0, 4)),
        ids(new TrainingRows(data, "train", 8, 7, 4, 10, 0).slice(3, 0, 4)), "skipping 0 is the plain order");
    var e = assertThrows(narrow.util.UserError.class, () -> new TrainingRows(data, "train", 8, 7, 4, 10, 18));
    assertTrue(e.getMessage().contains("after the first 18 skipped (of 21)"), e.getMessage());
    assertEquals(0, TrainingArguments.defaults("o").skipTrainRows());
    assertThrows(TrainingArguments.Invalid.class, () -> TrainingArguments.defaults("o").with("skip_train_rows", -1));
  }

  private static List<Integer> ids(List<int[]> rows) {
    List<Integer> out = new java.util.ArrayList<>();
    for (int[] r : rows) out.add(r[1]);
    return out;
  }
}
