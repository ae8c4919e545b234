package narrow.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import narrow.util.CompleteFolder;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one reader of tokenized datasets, on folders written by hand (the job's own: TokenizeJobTest). */
class TokenizedDatasetTest {
  @TempDir Path tmp;

  private static final List<int[]> ROWS = List.of(new int[] {1, 2, 3}, new int[] {4}, new int[] {5, 6, 7, 8, 9});

  @Test
  void theManifestIsTheShardListAndItsOrder() throws IOException {
    Path ds = tmp.resolve("ds");
    TestDatasets.writeShard(ds.resolve("train/part-00000.parquet"), List.of(new int[] {10, 11}));
    TestDatasets.writeShard(ds.resolve("train/part-00001.parquet"), List.of(new int[] {20, 21}));
    TestDatasets.commit(ds, "train");
    // a file the job did not list (a stray copy, say) is not part of the dataset
    TestDatasets.writeShard(ds.resolve("train/part-00002.parquet"), List.of(new int[] {30, 31}));

    TokenizedDataset d = TokenizedDataset.open(ds);
    assertEquals(List.of("train"), List.copyOf(d.manifest().orElseThrow().splits().keySet()));
    List<String> shards = d.shards("train");
    assertEquals(2, shards.size(), shards.toString());
    assertTrue(shards.get(0).endsWith("/train/part-00000.parquet") && shards.get(0).startsWith("/"),
        "a local dataset's shards are plain paths: " + shards);
    List<int[]> rows = d.rows("train", 8);
    assertEquals(2, rows.size());
    assertArrayEquals(new int[] {10, 11}, rows.get(0));
    assertArrayEquals(new int[] {20, 21}, rows.get(1));
  }

  @Test
  void manifestOrderIsFollowedEvenWhenItIsNotNameOrder() throws IOException {
    Path ds = tmp.resolve("ds");
    TestDatasets.writeShard(ds.resolve("train/a.parquet"), List.of(new int[] {1, 1}));
    TestDatasets.writeShard(ds.resolve("train/b.parquet"), List.of(new int[] {2, 2}));
    TestDatasets.writeManifest(ds, Map.of("train", new TokenizeManifest.Split(2, 0, 0, List.of(
        new TokenizeManifest.Shard("train/b.parquet", 1, 0), new TokenizeManifest.Shard("train/a.parquet", 1, 0)))));
    Files.writeString(ds.resolve(CompleteFolder.MARKER), "");
    List<int[]> rows = TokenizedDataset.open(ds).rows("train", 8);
    assertArrayEquals(new int[] {2, 2}, rows.get(0));
    assertArrayEquals(new int[] {1, 1}, rows.get(1));
  }

  @Test
  void everyListEncodingReadsTheSameRowsCutAndFiltered() throws IOException {
    for (MessageType schema : List.of(TestDatasets.SPARK_LIST, TestDatasets.TWO_LEVEL_LIST, TestDatasets.REPEATED_INT)) {
      Path ds = tmp.resolve(schema.getName() + schema.getType("input_ids").getRepetition());
      TestDatasets.writeShard(ds.resolve("validation/part-00000.parquet"), ROWS, schema);
      TestDatasets.commit(ds, "validation");
      List<int[]> rows = TokenizedDataset.open(ds).rows("validation", 4);
      assertEquals(2, rows.size(), "the one-id row is dropped: " + schema);
      assertArrayEquals(new int[] {1, 2, 3}, rows.get(0), schema.toString());
      assertArrayEquals(new int[] {5, 6, 7, 8}, rows.get(1), "cut at maxLength: " + schema);
    }
  }

  @Test
  void aSplitTheManifestDoesNotListIsNamed() throws IOException {
    Path ds = tmp.resolve("ds");
    TestDatasets.writeShard(ds.resolve("train/part-00000.parquet"), ROWS);
    TestDatasets.commit(ds, "train");
    TokenizeException e = assertThrows(TokenizeException.class, () -> TokenizedDataset.open(ds).rows("validation", 4));
    assertTrue(e.getMessage().contains("no split 'validation'") && e.getMessage().contains("lists: train"),
        e.getMessage());
  }

  @Test
  void aFolderWithoutItsMarkerOrWithAForeignManifestIsRefused() throws IOException {
    Path ds = tmp.resolve("ds");
    TestDatasets.writeShard(ds.resolve("train/part-00000.parquet"), ROWS);
    TokenizeException unmarked = assertThrows(TokenizeException.class, () -> TokenizedDataset.open(ds));
    assertTrue(unmarked.getMessage().contains("no _SUCCESS marker"), unmarked.getMessage());

    Files.writeString(ds.resolve("manifest.json"), "{\"layout\": \"pack\"}");
    Files.writeString(ds.resolve("_SUCCESS"), "");
    TokenizeException foreign = assertThrows(TokenizeException.class, () -> TokenizedDataset.open(ds));
    assertTrue(foreign.getMessage().contains("lists no splits"), foreign.getMessage());

    TokenizeException missing = assertThrows(TokenizeException.class, () -> TokenizedDataset.open(tmp.resolve("nope")));
    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
  }

  @Test
  void aDamagedShardIsNamed() throws IOException {
    Path ds = tmp.resolve("ds");
    TestDatasets.writeShard(ds.resolve("train/part-00000.parquet"), ROWS);
    TestDatasets.commit(ds, "train");
    Path shard = ds.resolve("train/part-00000.parquet");
    byte[] bytes = Files.readAllBytes(shard);
    Files.delete(ds.resolve("train/.part-00000.parquet.crc")); // so that the damage reaches Parquet
    Files.write(shard, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    BrokenShard e = assertThrows(BrokenShard.class, () -> TokenizedDataset.open(ds).rows("train", 4));
    assertTrue(e.getMessage().contains("part-00000.parquet is " + bytes.length / 2 + " bytes"), e.getMessage());
  }

  /** A shard of the size the manifest lists, with other rows than it lists, was replaced. */
  @Test
  void aShardWithOtherRowsThanTheManifestListsIsNamed() throws IOException {
    Path ds = tmp.resolve("ds");
    TestDatasets.writeShard(ds.resolve("train/part-00000.parquet"), ROWS);
    TestDatasets.writeManifest(ds, Map.of("train", new TokenizeManifest.Split(4, 0, 0, List.of(
        new TokenizeManifest.Shard("train/part-00000.parquet", 4, Files.size(ds.resolve("train/part-00000.parquet")))))));
    Files.writeString(ds.resolve(CompleteFolder.MARKER), "");
    BrokenShard e = assertThrows(BrokenShard.class, () -> TokenizedDataset.open(ds).rowGroups("train"));
    assertTrue(e.getMessage().contains("part-00000.parquet holds 3 rows, but"), e.getMessage());
    assertTrue(e.getMessage().contains("manifest.json lists 4"), e.getMessage());
  }

  /** A shard whose footer is not Parquet's is named, on a folder with no manifest too. */
  @Test
  void aShardWithoutAFooterIsNamed() throws IOException {
    Path ds = Files.createDirectories(tmp.resolve("ds/train"));
    Files.writeString(ds.resolve("part-00000.parquet"), "not parquet at all");
    Files.writeString(tmp.resolve("ds").resolve(CompleteFolder.MARKER), "");
    BrokenShard e = assertThrows(BrokenShard.class, () -> TokenizedDataset.open(tmp.resolve("ds")).rowGroups("train"));
    assertTrue(e.getMessage().contains("part-00000.parquet has no readable Parquet footer"), e.getMessage());
  }
}
