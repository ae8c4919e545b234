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
    TokenizeException unfinished = assertThrows(TokenizeException.class, () -> TokenShards.read(ds, "train", 5));
    assertTrue(unfinished.getMessage().contains("no _SUCCESS marker"), unfinished.getMessage());
    // marker, no manifest: a folder made by hand, read in shard-name order
    Files.writeString(ds.resolve("_SUCCESS"), "");
    List<int[]> rows = TokenShards.read(ds, "train", 5);
    assertEquals(3, rows.size(), "the one-token row has nothing to predict and is dropped");
    assertArrayEquals(new int[] {128000, 5, 6, 7}, rows.get(0));
    assertArrayEquals(new int[] {128000, 9}, rows.get(1));
    assertArrayEquals(new int[] {128000, 1, 2, 3, 4}, rows.get(2));
    TokenizeException noSplit = assertThrows(TokenizeException.class, () -> TokenShards.read(ds, "validation", 5));
    assertTrue(noSplit.getMessage().contains("no validation/ folder"), noSplit.getMessage());
  }

  @Test
  void aSplitWithoutShardsIsNamedWithTheWayOut() throws IOException {
    Path ds = tmp.resolve("ds");
    TestShards.writeShard(ds.resolve("train/part-00000.parquet"), List.of(new int[] {128000, 5}));
    Files.createDirectories(ds.resolve("validation")); // the job's empty split: a folder, no shards
    TestDatasets.commit(ds, "train", "validation");
    assertEquals(1, TokenShards.read(ds, "train", 5).size());
    TokenizeException e = assertThrows(TokenizeException.class, () -> TokenShards.read(ds, "validation", 5));
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

  @Test
  void dataOrderIsASeededPermutationPerEpoch() {
    DataOrder order = new DataOrder(7, 10, 3);
    assertEquals(3, order.batchesPerEpoch());
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 3; i++) for (int r : order.batch(i)) assertTrue(seen.add(r));
    assertEquals(9, seen.size());
    int[] epoch1 = order.batch(3);
    DataOrder again = new DataOrder(7, 10, 3);
    assertArrayEquals(epoch1, again.batch(3), "recomputable from (seed, position) alone");
    assertArrayEquals(order.batch(1), again.batch(1));
    assertFalse(Arrays.equals(new DataOrder(8, 10, 3).batch(0), again.batch(0)));
    assertThrows(narrow.util.UserError.class, () -> new DataOrder(1, 2, 3), "fewer rows than a batch: the user's to fix");
  }
}
