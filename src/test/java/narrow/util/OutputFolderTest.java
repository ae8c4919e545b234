package narrow.util;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import narrow.data.S3ProxyServer;
import narrow.train.RecordingS3aFileSystem;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A folder committed whole, or not at all, on local disk and on s3a:// (S3Proxy on loopback):
 * nothing half-written where a reader looks, the marker last on the store, no staging left.
 */
class OutputFolderTest {
  static S3ProxyServer s3;
  static Configuration conf;
  @TempDir static Path s3Dir;
  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    FileSystem.closeAll(); // no cached s3a client of another test's server
    s3 = S3ProxyServer.start(s3Dir);
    s3.createBucket("out");
    conf = s3.hadoopConfiguration();
    conf.set("fs.s3a.impl", RecordingS3aFileSystem.class.getName());
  }

  @AfterAll
  static void stop() throws IOException {
    FileSystem.closeAll();
    if (s3 != null) s3.close();
  }

  static List<String> names(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static org.apache.hadoop.fs.Path hadoop(String uri) {
    return new org.apache.hadoop.fs.Path(uri);
  }

  static FileSystem s3fs() throws IOException {
    return hadoop("s3a://out/").getFileSystem(conf);
  }

  static String read(String uri) throws IOException {
    try (var in = s3fs().open(hadoop(uri))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aLocalFolderAppearsWholeWithItsMarkerAtCommit() throws Exception {
    Path target = tmp.resolve("metrics");
    try (OutputFolder out = OutputFolder.stage(target.toString(), new Configuration(), false)) {
      Files.writeString(out.dir().resolve("a.json"), "{}");
      Files.createDirectories(out.dir().resolve("sub"));
      Files.writeString(out.dir().resolve("sub/b.txt"), "b");
      assertFalse(Files.exists(target), "nothing where a reader looks before the commit");
      assertEquals(tmp, out.dir().getParent(), "staged beside its target: the rename stays on one disk");
      assertTrue(out.dir().getFileName().toString().startsWith(OutputFolder.TEMP_PREFIX + "metrics-"));
      out.commit();
    }
    assertEquals(List.of(CompleteFolder.MARKER, "a.json", "sub"), names(target));
    assertEquals("b", Files.readString(target.resolve("sub/b.txt")));
    assertEquals(List.of("metrics"), names(tmp), "no staging folder, no .crc file left");
    // the umask decides who reads results (a temporary directory would be drwx------)
    Path plain = Files.createDirectory(tmp.resolve("plain"));
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(target));
  }

  @Test
  void anExistingFolderIsRefusedUnlessOverwriteAndAnUncommittedOneLeavesNothing() throws Exception {
    Path target = Files.createDirectories(tmp.resolve("ds"));
    Files.writeString(target.resolve("old.txt"), "old");
    assertThrows(FileAlreadyExistsException.class,
        () -> OutputFolder.stage(target.toString(), new Configuration(), false));
    try (OutputFolder out = OutputFolder.stage(target.toString(), new Configuration(), true)) {
      Files.writeString(out.dir().resolve("half.txt"), "half");
    } // a failure before the commit
    assertEquals(List.of("old.txt"), names(target), "the old folder is as it was");
    assertEquals(List.of("ds"), names(tmp), "the staged files are gone");

    Path late = tmp.resolve("late");
    try (OutputFolder out = OutputFolder.stage(late.toString(), new Configuration(), false)) {
      Files.createDirectories(late); // another job got there first
      assertThrows(FileAlreadyExistsException.class, out::commit);
    }
    assertEquals(List.of(), names(late));
  }

  @Test
  void leftoversOfKilledCommitsAreRemovedAndNothingElse() throws Exception {
    Files.createDirectories(tmp.resolve(".tmp-checkpoint-4-123")).resolve("config.json").toFile().createNewFile();
    Files.createDirectories(tmp.resolve("checkpoint-2"));
    FileSystem local = FileSystem.getLocal(new Configuration()).getRaw();
    assertEquals(List.of(".tmp-checkpoint-4-123"),
        OutputFolder.removeLeftovers(local, new org.apache.hadoop.fs.Path(tmp.toUri())));
    assertEquals(List.of("checkpoint-2"), names(tmp));
    assertEquals(List.of(), OutputFolder.removeLeftovers(local, new org.apache.hadoop.fs.Path(tmp.resolve("none").toUri())));
  }

  /** Staged on local disk, uploaded: the old folder deleted marker first, the new marker written last. */
  @Test
  void anS3aFolderIsUploadedWithTheMarkerLastAndReplacesTheOldOneWhole() throws Exception {
    String target = "s3a://out/runs/metrics";
    try (OutputFolder out = OutputFolder.stage(target, conf, false)) {
      Files.writeString(out.dir().resolve("stale.txt"), "from before");
      Files.writeString(out.dir().resolve("a.json"), "1");
      out.commit();
    }
    RecordingS3aFileSystem.EVENTS.clear();
    Path staging;
    try (OutputFolder out = OutputFolder.stage(target, conf, true)) {
      staging = out.dir();
      Files.writeString(out.dir().resolve("a.json"), "2");
      Files.writeString(out.dir().resolve("b.json"), "3");
      Files.writeString(out.dir().resolve(CompleteFolder.MARKER), ""); // a writer's own marker does not count
      assertEquals("1", read(target + "/a.json"), "the old folder stays until the commit");
      out.commit();
    }
    assertFalse(Files.exists(staging), "the local staging goes after the upload");
    List<String> written = RecordingS3aFileSystem.events("write", target + "/");
    assertEquals(List.of(target + "/a.json", target + "/b.json", target + "/" + CompleteFolder.MARKER), written);
    assertEquals(target + "/" + CompleteFolder.MARKER, RecordingS3aFileSystem.events("delete", target).get(0));
    assertEquals("2", read(target + "/a.json"));
    assertFalse(s3fs().exists(hadoop(target + "/stale.txt")), "nothing of the old folder outlives it");

    assertThrows(FileAlreadyExistsException.class, () -> OutputFolder.stage(target, conf, false));
    try (OutputFolder out = OutputFolder.stage("s3a://out/runs/cut", conf, false)) {
      Files.writeString(out.dir().resolve("a.json"), "half");
      staging = out.dir();
    }
    assertFalse(s3fs().exists(hadoop("s3a://out/runs/cut")), "an uncommitted folder is never uploaded");
    assertFalse(Files.exists(staging));
  }

  /** Staged on the store itself (Spark tasks write there): copied into place, the marker after the copy. */
  @Test
  void anS3aFolderStagedBesideItsTargetIsCopiedInAndItsStagingDeleted() throws Exception {
    FileSystem fs = s3fs();
    org.apache.hadoop.fs.Path target = hadoop("s3a://out/data/ds");
    try (OutputFolder out = OutputFolder.stageBesideTarget(fs, target, false)) {
      assertThrows(IllegalStateException.class, out::dir, "no local folder for a store's staging");
      assertEquals("s3a://out/data", out.staging().getParent().toString());
      try (var w = fs.create(new org.apache.hadoop.fs.Path(out.staging(), "part-0.parquet"))) {
        w.write(1);
      }
      fs.create(new org.apache.hadoop.fs.Path(out.staging(), CompleteFolder.MARKER)).close(); // as Spark writes one
      assertFalse(fs.exists(target));
      RecordingS3aFileSystem.EVENTS.clear();
      out.commit();
      assertEquals(List.of(out.staging() + "/" + CompleteFolder.MARKER),
          RecordingS3aFileSystem.events("delete", out.staging() + "/"),
          "the writer's marker is dropped before the copy, whose order is the store's");
    }
    assertTrue(fs.exists(new org.apache.hadoop.fs.Path(target, "part-0.parquet")));
    assertTrue(fs.exists(new org.apache.hadoop.fs.Path(target, CompleteFolder.MARKER)));
    List<String> written = RecordingS3aFileSystem.events("write", target + "/");
    assertEquals(target + "/" + CompleteFolder.MARKER, written.get(written.size() - 1), written.toString());
    assertEquals(1, fs.listStatus(hadoop("s3a://out/data")).length, "no staging folder left");

    try (OutputFolder out = OutputFolder.stageBesideTarget(fs, hadoop("s3a://out/data/cut"), false)) {
      fs.create(new org.apache.hadoop.fs.Path(out.staging(), "part-0.parquet")).close();
    }
    assertEquals(1, fs.listStatus(hadoop("s3a://out/data")).length, "an uncommitted staging folder is deleted");
    assertThrows(FileAlreadyExistsException.class, () -> OutputFolder.stageBesideTarget(fs, target, false));
  }
}
