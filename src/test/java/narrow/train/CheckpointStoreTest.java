package narrow.train;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import narrow.util.CompleteFolder;
import narrow.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A local output_dir: complete means "has the marker" here too; what is unmarked is never resumed from. */
class CheckpointStoreTest {
  @TempDir Path tmp;

  static CheckpointStore.FolderWriter oneFile(String content) {
    return dir -> Files.writeString(dir.resolve("weights.txt"), content);
  }

  @Test
  void aFolderIsWrittenWithItsMarkerAndReplacesOneOfTheSameName() throws Exception {
    CheckpointStore store = CheckpointStore.local(tmp);
    assertEquals(tmp.resolve("checkpoint-1").toString(), store.write("checkpoint-1", oneFile("old")));
    Files.writeString(tmp.resolve("checkpoint-1/stale.txt"), "from before");
    store.write("checkpoint-1", oneFile("new"));
    Path folder = tmp.resolve("checkpoint-1");
    assertTrue(Files.exists(folder.resolve(CompleteFolder.MARKER)));
    assertEquals("new", Files.readString(folder.resolve("weights.txt")));
    assertFalse(Files.exists(folder.resolve("stale.txt")), "the folder is replaced whole");
    try (var files = Files.list(tmp)) {
      assertEquals(List.of(folder), files.toList(), "no temporary folder, no .crc file left");
    }
  }

  @Test
  void aFailedWriteLeavesNothingThatLooksWhole() throws Exception {
    CheckpointStore store = CheckpointStore.local(tmp);
    assertThrows(java.io.IOException.class, () -> store.write("checkpoint-3", dir -> {
      Files.writeString(dir.resolve("weights.txt"), "half");
      throw new java.io.IOException("disk full (test)");
    }));
    assertEquals(List.of(), store.list());
    assertFalse(Files.exists(tmp.resolve("checkpoint-3")));
  }

  /**
   * An unmarked checkpoint-N (a folder made before the marker existed, or a deletion that was
   * killed) is not listed, not resumed from and not counted by rotation, and on local disk
   * rotation leaves it alone: it may be a whole checkpoint of an older version.
   */
  @Test
  void unmarkedFoldersAreIgnoredAndKept() throws Exception {
    CheckpointStore store = CheckpointStore.local(tmp);
    for (int step : new int[] {2, 4, 6}) store.write(Checkpoints.checkpointName(step), oneFile("" + step));
    Path unmarked = Files.createDirectories(tmp.resolve("checkpoint-3"));
    Files.writeString(unmarked.resolve("trainer_state.json"), "{}");
    Path newest = Files.createDirectories(tmp.resolve("checkpoint-8"));
    Files.writeString(newest.resolve("weights.txt"), "8");

    assertEquals(List.of(tmp.resolve("checkpoint-2"), tmp.resolve("checkpoint-4"), tmp.resolve("checkpoint-6")),
        Checkpoints.list(tmp));
    assertEquals(tmp.resolve("checkpoint-6"), Checkpoints.latest(tmp));
    assertFalse(store.isComplete("checkpoint-8"));

    store.rotate(2);
    assertEquals(List.of(tmp.resolve("checkpoint-4"), tmp.resolve("checkpoint-6")), Checkpoints.list(tmp));
    assertTrue(Files.exists(unmarked.resolve("trainer_state.json")), "an unmarked local folder is kept");
    assertTrue(Files.exists(newest));

    UserError e = assertThrows(UserError.class,
        () -> CheckpointStore.fetch(newest.toString(), new org.apache.hadoop.conf.Configuration()));
    assertTrue(e.getMessage().contains(newest + " is not a complete checkpoint")
        && e.getMessage().contains(CompleteFolder.MARKER), e.getMessage());
    UserError missing = assertThrows(UserError.class,
        () -> CheckpointStore.fetch(tmp.resolve("checkpoint-99").toString(), new org.apache.hadoop.conf.Configuration()));
    assertTrue(missing.getMessage().contains("checkpoint-99 does not exist"), missing.getMessage());
  }

  @Test
  void anOutputDirThatDoesNotExistHasNoCheckpoints() throws Exception {
    assertEquals(List.of(), Checkpoints.list(tmp.resolve("nothing")));
    assertNull(Checkpoints.latest(tmp.resolve("nothing")));
  }

  @Test
  void aSchemeWithoutAFileSystemIsOneClearError() {
    UserError e = assertThrows(UserError.class,
        () -> CheckpointStore.open("nofs://bucket/run", new org.apache.hadoop.conf.Configuration()));
    assertTrue(e.getMessage().contains("nofs://bucket/run") && e.getMessage().contains("no Hadoop file system"),
        e.getMessage());
  }
}
