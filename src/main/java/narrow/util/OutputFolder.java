package narrow.util;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An output folder of narrow (a tokenized dataset, a checkpoint, {@code final_model/}) written
 * somewhere it is not read, then committed whole with its {@link CompleteFolder#MARKER}, on any
 * Hadoop file system. A job killed or failing midway leaves nothing that looks whole where a
 * reader looks.
 *
 * <ul>
 *   <li>Into a local folder it is staged beside its target as {@code .tmp-<name>-<uuid>} (which
 *       {@link #removeLeftovers} deletes after a kill) and renamed into place with the marker
 *       already inside: it appears whole at once.
 *   <li>An object store cannot rename a folder (a rename is a copy), so there the marker is
 *       written after every other file: the folder is staged on local disk ({@link #stage}) and
 *       uploaded, or staged beside the target on the store ({@link #stageBesideTarget}, for
 *       writers that are not on this machine, such as Spark tasks) and copied into place.
 * </ul>
 *
 * <pre>{@code
 * try (OutputFolder out = OutputFolder.stage(location, hadoopConf, true)) {
 *   write(out.dir().resolve("model.safetensors"));
 *   out.commit();
 * }   // not committed: the staged files are deleted
 * }</pre>
 */
public final class OutputFolder implements AutoCloseable {
  /** How a staging folder's name starts beside its target. */
  public static final String TEMP_PREFIX = ".tmp-";

  private final FileSystem fs;
  private final Path target;
  private final boolean remote;
  private final boolean overwrite;
  /** Where files go until commit: on local disk ({@link #localStaging}) or on {@link #fs}. */
  private final Path staging;
  private final java.nio.file.Path localStaging;
  private boolean committed;

  private OutputFolder(FileSystem fs, Path target, boolean overwrite, Path staging,
      java.nio.file.Path localStaging) {
    this.fs = fs;
    this.target = target;
    this.remote = !"file".equals(fs.getUri().getScheme());
    this.overwrite = overwrite;
    this.staging = staging;
    this.localStaging = localStaging;
  }

  /**
   * Starts folder {@code location} (a local path or a URI {@code conf} can reach), staged on local
   * disk: {@link #dir()} is where to write.
   *
   * @param overwrite replace a folder of that name at commit; else one is refused
   * @throws FileAlreadyExistsException when the folder exists and {@code overwrite} is false
   */
  public static OutputFolder stage(String location, Configuration conf, boolean overwrite) throws IOException {
    Path path = Locations.hadoopPath(location);
    FileSystem fs = ObjectStores.fileSystem(path, location, conf);
    return stage(fs, fs.makeQualified(path), overwrite);
  }

  /** As {@link #stage(String, Configuration, boolean)}, for folder {@code target} of {@code fs}. */
  public static OutputFolder stage(FileSystem fs, Path target, boolean overwrite) throws IOException {
    target = fs.makeQualified(target);
    refuseExisting(fs, target, overwrite);
    if (!"file".equals(fs.getUri().getScheme())) {
      java.nio.file.Path local = Files.createTempDirectory("narrow-" + target.getName() + "-");
      return new OutputFolder(fs, target, overwrite, new Path(local.toUri()), local);
    }
    Path staging = besideTarget(fs, target);
    return new OutputFolder(fs, target, overwrite, staging, java.nio.file.Path.of(staging.toUri()));
  }

  /**
   * Starts folder {@code target} of {@code fs} staged beside it on the same file system:
   * {@link #staging()} is where to write, from anywhere that reaches {@code fs}.
   *
   * @throws FileAlreadyExistsException when the folder exists and {@code overwrite} is false
   */
  public static OutputFolder stageBesideTarget(FileSystem fs, Path target, boolean overwrite) throws IOException {
    target = fs.makeQualified(target);
    refuseExisting(fs, target, overwrite);
    Path staging = besideTarget(fs, target);
    java.nio.file.Path local = "file".equals(fs.getUri().getScheme()) ? java.nio.file.Path.of(staging.toUri()) : null;
    return new OutputFolder(fs, target, overwrite, staging, local);
  }

  private static Path besideTarget(FileSystem fs, Path target) throws IOException {
    Path parent = target.getParent();
    if (parent == null) throw new UserError("output cannot be a file system root: " + target);
    Path staging = new Path(parent, TEMP_PREFIX + target.getName() + "-" + UUID.randomUUID());
    if (!fs.mkdirs(staging)) throw new IOException("cannot make " + staging);
    return staging;
  }

  private static void refuseExisting(FileSystem fs, Path target, boolean overwrite) throws IOException {
    if (!overwrite && fs.exists(target)) {
      throw new FileAlreadyExistsException(target.toString(), null, "output exists; overwrite replaces it");
    }
  }

  /** The folder as it will be once committed, qualified ({@code file:/…}, {@code s3a://…}). */
  public Path target() {
    return target;
  }

  /** The target's file system. */
  public FileSystem fs() {
    return fs;
  }

  /** Where to write until commit, on {@link #fs()} or, when staged on local disk, the local one. */
  public Path staging() {
    return staging;
  }

  /**
   * Where to write until commit, as a local folder.
   *
   * @throws IllegalStateException when the folder is staged on an object store
   */
  public java.nio.file.Path dir() {
    if (localStaging == null) throw new IllegalStateException(target + " is staged on " + staging + ", not on local disk");
    return localStaging;
  }

  /**
   * Puts the folder in place with its marker (a marker the writer left in the staged files is
   * replaced); an old folder of that name is replaced whole, never mixed with the new files.
   *
   * @throws FileAlreadyExistsException when the folder appeared meanwhile and {@code overwrite} is false
   */
  public void commit() throws IOException {
    refuseExisting(fs, target, overwrite);
    if (remote) {
      // an older or half-written folder of this name goes first, marker first: none of its files may outlive it
      delete(fs, target);
      if (localStaging != null) {
        upload();
      } else {
        fs.delete(new Path(staging, CompleteFolder.MARKER), false); // a copy's order is not ours: ours comes last
        rename(staging, target);
      }
      writeMarker(target);
    } else {
      // inside before the rename: the folder appears whole at once, and carries the mark as remote ones do
      writeMarker(staging);
      Path old = null;
      if (fs.exists(target)) {
        // aside first: a reader never sees old and new files mixed in one folder
        old = new Path(target.getParent(), ".old-" + target.getName() + "-" + UUID.randomUUID());
        rename(target, old);
      }
      rename(staging, target);
      if (old != null) fs.delete(old, true);
    }
    committed = true;
  }

  private void upload() throws IOException {
    List<java.nio.file.Path> files;
    try (Stream<java.nio.file.Path> walk = Files.walk(localStaging)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    for (java.nio.file.Path f : files) {
      if (f.equals(localStaging.resolve(CompleteFolder.MARKER))) continue;
      fs.copyFromLocalFile(false, true, new Path(f.toUri()), new Path(target, localStaging.relativize(f).toString()));
    }
  }

  private void writeMarker(Path folder) throws IOException {
    fs.create(new Path(folder, CompleteFolder.MARKER), true).close(); // empty: its presence is the message
  }

  private void rename(Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) throw new IOException("cannot rename " + from + " to " + to);
  }

  /** Deletes what is staged, unless committed (a local staging folder for a remote target always). */
  @Override
  public void close() {
    if (localStaging != null && (!committed || remote)) {
      LocalFolders.deleteRecursively(localStaging);
    } else if (!committed) {
      try {
        fs.delete(staging, true);
      } catch (IOException e) {
        // a leftover .tmp-* folder is harmless: nothing reads it, and removeLeftovers finds it
      }
    }
  }

  /**
   * Deletes {@code folder} of {@code fs}, its marker first: a deletion killed midway leaves an
   * incomplete folder, never a partial one that looks whole.
   */
  public static void delete(FileSystem fs, Path folder) throws IOException {
    fs.delete(new Path(folder, CompleteFolder.MARKER), false);
    fs.delete(folder, true);
  }

  /**
   * Deletes the staging folders that commits killed midway left in {@code parent} (never
   * complete, never read); returns their names, sorted.
   */
  public static List<String> removeLeftovers(FileSystem fs, Path parent) throws IOException {
    List<String> removed = new ArrayList<>();
    FileStatus[] children;
    try {
      children = fs.listStatus(parent);
    } catch (java.io.FileNotFoundException e) {
      return removed;
    }
    for (FileStatus s : children) {
      if (s.getPath().getName().startsWith(TEMP_PREFIX)) {
        fs.delete(s.getPath(), true);
        removed.add(s.getPath().getName());
      }
    }
    removed.sort(null);
    return removed;
  }

  /**
   * Copies local file {@code file} to {@code location} (a file in a folder that is not staged as
   * a whole, such as a run's folder), replacing it; streamed. On an object store the file appears
   * whole or not at all.
   */
  public static void publishFile(java.nio.file.Path file, String location, Configuration conf) throws IOException {
    Path path = Locations.hadoopPath(location);
    FileSystem fs = ObjectStores.fileSystem(path, location, conf);
    try {
      fs.copyFromLocalFile(false, true, new Path(file.toUri()), path);
    } catch (IOException e) {
      throw new IOException("cannot write " + location + ": " + e.getMessage(), e);
    }
  }
}
