package narrow.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;
import narrow.util.ObjectStores;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An output folder written beside its target as {@code .tmp-<name>-<uuid>} and renamed into
 * place, through Hadoop's FileSystem so that it works the same on local disks and {@code s3a://}.
 * A job killed midway leaves only the temporary sibling. On object stores a rename is a copy, so
 * the caller writes its completion marker after {@link #publish()}, never before.
 */
public final class StagedOutput implements AutoCloseable {
  private final FileSystem fs;
  private final Path target;
  private final Path temp;
  private final boolean overwrite;
  private boolean published;

  private StagedOutput(FileSystem fs, Path target, Path temp, boolean overwrite) {
    this.fs = fs;
    this.target = target;
    this.temp = temp;
    this.overwrite = overwrite;
  }

  /** Refuses an existing {@code output} unless {@code overwrite}; creates the temporary folder. */
  public static StagedOutput begin(String output, boolean overwrite, Configuration conf) {
    try {
      Path target = new Path(output);
      FileSystem fs = ObjectStores.reach(target, conf);
      target = fs.makeQualified(target);
      refuseExisting(fs, target, overwrite);
      Path parent = target.getParent();
      if (parent == null) throw new TokenizeException("output cannot be a file system root: " + output);
      Path temp = new Path(parent, ".tmp-" + target.getName() + "-" + UUID.randomUUID());
      fs.mkdirs(temp);
      return new StagedOutput(fs, target, temp, overwrite);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare output " + output, e);
    }
  }

  private static void refuseExisting(FileSystem fs, Path target, boolean overwrite) throws IOException {
    if (!overwrite && fs.exists(target)) {
      throw new TokenizeException("output " + target + " exists; set overwrite to replace it");
    }
  }

  public FileSystem fs() {
    return fs;
  }

  public Path temp() {
    return temp;
  }

  public Path target() {
    return target;
  }

  /** Moves the temporary folder to the target, replacing an old one only when allowed. */
  public void publish() throws IOException {
    refuseExisting(fs, target, overwrite);
    Path old = null;
    if (fs.exists(target)) {
      // aside first: a reader never sees old and new files mixed in one folder
      old = new Path(target.getParent(), ".old-" + target.getName() + "-" + UUID.randomUUID());
      rename(target, old);
    }
    rename(temp, target);
    published = true;
    if (old != null) fs.delete(old, true);
  }

  private void rename(Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) throw new IOException("cannot rename " + from + " to " + to);
  }

  @Override
  public void close() {
    if (published) return;
    try {
      fs.delete(temp, true);
    } catch (IOException e) {
      // a leftover .tmp-* folder is harmless: nothing treats it as output
    }
  }
}
