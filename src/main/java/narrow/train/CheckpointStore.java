package narrow.train;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import narrow.util.CompleteFolder;
import narrow.util.LocalFolders;
import narrow.util.Locations;
import narrow.util.ObjectStores;
import narrow.util.OutputFolder;
import narrow.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * A run's {@code output_dir} on any Hadoop file system (a local folder, {@code s3a://},
 * {@code gs://}): its {@code checkpoint-N/} and {@code final_model/} folders and the small files
 * beside them ({@code model_stats.json}).
 *
 * <p>A folder is whole when it holds {@link CompleteFolder#MARKER}, everywhere; it is written to
 * local disk first (the safetensors and {@code .pt} writers need a FileChannel) and committed by
 * {@link OutputFolder}. Listing, resuming and rotation see complete folders only.
 */
public final class CheckpointStore {
  private static final Pattern CHECKPOINT = Pattern.compile("checkpoint-(\\d+)");

  private final String root;
  private final Path hadoopRoot;
  private final FileSystem fs;
  private final boolean remote;

  /** Fills a local folder with the files of one output folder. */
  @FunctionalInterface
  public interface FolderWriter {
    void write(java.nio.file.Path dir) throws IOException;
  }

  private CheckpointStore(String root, Path hadoopRoot, FileSystem fs, boolean remote) {
    this.root = root;
    this.hadoopRoot = hadoopRoot;
    this.fs = fs;
    this.remote = remote;
  }

  /** An output_dir: a local path, or a URI that {@code conf} can reach. */
  public static CheckpointStore open(String outputDir, Configuration conf) throws IOException {
    Path path = Locations.hadoopPath(outputDir);
    FileSystem fs = ObjectStores.fileSystem(path, outputDir, conf);
    return new CheckpointStore(outputDir, fs.makeQualified(path), fs, Locations.isRemote(outputDir));
  }

  /** A local output_dir. */
  public static CheckpointStore local(java.nio.file.Path outputDir) throws IOException {
    return open(outputDir.toString(), new Configuration());
  }

  /** The output_dir as given. */
  public String root() {
    return root;
  }

  /** Where folder or file {@code name} of this output_dir is, spelled as the output_dir is. */
  public String location(String name) {
    return Locations.child(root, name);
  }

  /**
   * Writes folder {@code name} (replacing one of that name) complete with its marker, or leaves
   * it incomplete when anything fails; returns its location.
   */
  public String write(String name, FolderWriter writer) throws IOException {
    try (OutputFolder folder = OutputFolder.stage(fs, new Path(hadoopRoot, name), true)) {
      writer.write(folder.dir());
      folder.commit();
    } catch (IOException e) {
      throw new IOException("cannot write " + location(name) + ": " + e.getMessage(), e);
    }
    return location(name);
  }

  /** Writes one small file beside the folders (one object on a store: it appears whole). */
  public void writeFile(String name, byte[] content) throws IOException {
    try (FSDataOutputStream out = fs.create(new Path(hadoopRoot, name), true)) {
      out.write(content);
    } catch (IOException e) {
      throw new IOException("cannot write " + location(name) + ": " + e.getMessage(), e);
    }
  }

  /** Whether folder {@code name} exists with its marker. */
  public boolean isComplete(String name) throws IOException {
    return fs.exists(new Path(new Path(hadoopRoot, name), CompleteFolder.MARKER));
  }

  /** The trainer_state.json of complete folder {@code name}. */
  public TrainerState readTrainerState(String name) throws IOException {
    if (!isComplete(name)) throw new IOException(location(name) + " is not a complete folder (no "
        + CompleteFolder.MARKER + ")");
    try (InputStream in = fs.open(new Path(new Path(hadoopRoot, name), Checkpoints.TRAINER_STATE))) {
      return TrainerState.read(in);
    }
  }

  /** The complete {@code checkpoint-N} folders, oldest step first. */
  public List<String> list() throws IOException {
    return checkpointFolders().stream().filter(Folder::complete).map(f -> location(f.name())).toList();
  }

  /** The newest complete checkpoint, or null: what to resume from after a kill. */
  public String latest() throws IOException {
    List<String> all = list();
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  /**
   * HF's save_total_limit over complete checkpoints: deletes the oldest beyond {@code limit}
   * (null keeps all). On an object store an incomplete folder older than the newest complete one
   * is the remains of a killed upload or deletion and is deleted too. On local disk a save never
   * leaves one (the rename is atomic), so an unmarked folder there may be a whole checkpoint
   * written before the marker existed: it is left alone.
   */
  public void rotate(Integer limit) throws IOException {
    List<Folder> folders = checkpointFolders();
    List<Folder> complete = folders.stream().filter(Folder::complete).toList();
    if (limit != null) {
      for (int i = 0; i < complete.size() - limit; i++) delete(new Path(hadoopRoot, complete.get(i).name()));
    }
    if (remote && !complete.isEmpty()) {
      long newest = complete.get(complete.size() - 1).step();
      for (Folder f : folders) {
        if (!f.complete() && f.step() < newest) delete(new Path(hadoopRoot, f.name()));
      }
    }
  }

  /**
   * The names of everything in the output_dir (folders and files, leftovers of killed saves
   * included), sorted; empty when the folder does not exist.
   */
  public List<String> entries() throws IOException {
    return Stream.of(children()).map(s -> s.getPath().getName()).sorted().toList();
  }

  /** What the output_dir holds; nothing when it does not exist yet. */
  private FileStatus[] children() throws IOException {
    try {
      return fs.listStatus(hadoopRoot);
    } catch (FileNotFoundException e) {
      return new FileStatus[0];
    }
  }

  /**
   * Deletes the staging folders a save killed midway leaves in a local output_dir ({@code
   * .tmp-checkpoint-N-…}: never complete, never read); returns their names. On an object store a
   * save stages on local disk, so a kill leaves an unmarked folder, which rotation deletes.
   */
  public List<String> removeLeftovers() throws IOException {
    return OutputFolder.removeLeftovers(fs, hadoopRoot);
  }

  /** Deletes the output_dir and everything in it; complete folders lose their marker first. */
  public void deleteAll() throws IOException {
    for (Folder f : checkpointFolders()) delete(new Path(hadoopRoot, f.name()));
    fs.delete(new Path(hadoopRoot, Trainer.FINAL_MODEL + "/" + CompleteFolder.MARKER), false);
    fs.delete(hadoopRoot, true);
  }

  private void delete(Path folder) throws IOException {
    OutputFolder.delete(fs, folder);
  }

  private record Folder(String name, long step, boolean complete) {}

  private List<Folder> checkpointFolders() throws IOException {
    List<Folder> out = new ArrayList<>();
    for (FileStatus s : children()) {
      Matcher m = CHECKPOINT.matcher(s.getPath().getName());
      if (s.isDirectory() && m.matches()) {
        out.add(new Folder(m.group(0), Long.parseLong(m.group(1)),
            fs.exists(new Path(s.getPath(), CompleteFolder.MARKER))));
      }
    }
    out.sort(Comparator.comparingLong(Folder::step));
    return out;
  }

  /**
   * A complete folder (a checkpoint to resume from) as local files: a local folder itself, a
   * remote one downloaded into a temporary folder that {@link LocalCopy#close()} deletes.
   *
   * @throws UserError when the folder does not exist or has no marker
   */
  public static LocalCopy fetch(String folder, Configuration conf) throws IOException {
    return fetch(folder, conf, true);
  }

  /**
   * A Hugging Face model folder (a base model: no marker needed) as local files, as {@link
   * #fetch(String, Configuration)}: local folders as they are, remote ones downloaded.
   */
  public static LocalCopy fetchModel(String folder, Configuration conf) throws IOException {
    return fetch(folder, conf, false);
  }

  private static LocalCopy fetch(String folder, Configuration conf, boolean marked) throws IOException {
    Path path = Locations.hadoopPath(folder);
    FileSystem fs = ObjectStores.fileSystem(path, folder, conf);
    if (!fs.exists(path)) throw new UserError(folder + " does not exist");
    if (marked && !fs.exists(new Path(path, CompleteFolder.MARKER))) {
      throw new UserError(folder + " is not a complete checkpoint: it has no " + CompleteFolder.MARKER
          + " marker (a save or an upload that was killed, or a checkpoint written before narrow marked "
          + "complete ones: if you know that one is whole, add an empty " + CompleteFolder.MARKER + " file to it)");
    }
    if (!Locations.isRemote(folder)) return new LocalCopy(java.nio.file.Path.of(path.toUri().getPath()), false);
    java.nio.file.Path copy = Files.createTempDirectory("narrow-fetch-");
    try {
      Path qualified = fs.makeQualified(path);
      RemoteIterator<LocatedFileStatus> files = fs.listFiles(qualified, true);
      while (files.hasNext()) {
        Path file = files.next().getPath();
        String relative = file.toUri().getPath().substring(qualified.toUri().getPath().length() + 1);
        java.nio.file.Path local = copy.resolve(relative);
        Files.createDirectories(local.getParent());
        fs.copyToLocalFile(false, file, new Path(local.toUri()), true); // raw: no .crc files
      }
      return new LocalCopy(copy, true);
    } catch (IOException | RuntimeException e) {
      LocalFolders.deleteRecursively(copy);
      throw new IOException("cannot download " + folder + ": " + e.getMessage(), e);
    }
  }

  /**
   * File {@code name} of folder {@code folder} (local or remote), read where it is: for the small
   * JSON files of a checkpoint, without downloading its weights.
   *
   * @throws UserError when the file does not exist
   */
  public static byte[] readFile(String folder, String name, Configuration conf) throws IOException {
    Path file = new Path(Locations.hadoopPath(folder), name);
    try (InputStream in = ObjectStores.fileSystem(file, folder, conf).open(file)) {
      return in.readAllBytes();
    } catch (FileNotFoundException e) {
      throw new UserError(Locations.child(folder, name) + " does not exist");
    }
  }

  /** Local files of a folder; {@code temporary} ones are deleted on close. */
  public record LocalCopy(java.nio.file.Path dir, boolean temporary) implements AutoCloseable {
    @Override
    public void close() {
      if (temporary) LocalFolders.deleteRecursively(dir);
    }
  }
}
