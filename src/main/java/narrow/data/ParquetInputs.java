package narrow.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import narrow.util.ObjectStores;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;

/**
 * The Parquet files of an input, each checked on the driver before Spark reads it: the footer
 * must parse and name the required columns. A footer read is a few kilobytes per file, and it
 * turns "Job aborted due to stage failure" into a message that names the file.
 *
 * @param files readable files with every required column
 * @param corrupt files whose footer cannot be read (only when skipping bad records)
 * @param bytes total size of {@code files}
 */
public record ParquetInputs(List<String> files, List<String> corrupt, long bytes) {

  public static ParquetInputs scan(String input, List<String> requiredColumns, boolean skipCorrupt,
      Configuration conf) {
    try {
      Path root = new Path(input);
      FileSystem fs = ObjectStores.reach(root, conf);
      List<FileStatus> found = list(fs, root);
      if (found.isEmpty()) throw new TokenizeException("no Parquet files in input " + input);
      List<String> good = new ArrayList<>();
      List<String> corrupt = new ArrayList<>();
      long bytes = 0;
      for (FileStatus f : found) {
        MessageType schema;
        try (ParquetFileReader reader =
            ParquetFileReader.open(HadoopInputFile.fromStatus(f, conf))) {
          schema = reader.getFooter().getFileMetaData().getSchema();
        } catch (IOException | RuntimeException e) {
          if (!skipCorrupt) {
            throw new TokenizeException("input file " + f.getPath() + " is not readable Parquet ("
                + e.getMessage() + "); set skipBadRecords to skip and count such files", e);
          }
          corrupt.add(f.getPath().toString());
          continue;
        }
        for (String column : requiredColumns) {
          if (!schema.containsField(column)) {
            throw new TokenizeException("input file " + f.getPath() + " has no column '" + column
                + "' (input " + input + "; columns: " + columnNames(schema) + ")");
          }
        }
        good.add(f.getPath().toString());
        bytes += f.getLen();
      }
      if (good.isEmpty()) throw new TokenizeException("no readable Parquet files in input " + input);
      return new ParquetInputs(List.copyOf(good), List.copyOf(corrupt), bytes);
    } catch (FileNotFoundException e) {
      throw new TokenizeException("input " + input + " does not exist", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list input " + input, e);
    }
  }

  /** One file, or every file under a folder whose name and parents' names start neither with _ nor . */
  private static List<FileStatus> list(FileSystem fs, Path root) throws IOException {
    FileStatus top = fs.getFileStatus(root);
    List<FileStatus> out = new ArrayList<>();
    if (top.isFile()) {
      out.add(top);
      return out;
    }
    String rootPath = top.getPath().toUri().getPath();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(top.getPath(), true);
    while (it.hasNext()) {
      LocatedFileStatus f = it.next();
      String relative = f.getPath().toUri().getPath().substring(rootPath.length());
      if (!hidden(relative)) out.add(f);
    }
    out.sort((a, b) -> a.getPath().compareTo(b.getPath()));
    return out;
  }

  private static boolean hidden(String relative) {
    for (String part : relative.split("/")) {
      if (part.startsWith("_") || part.startsWith(".")) return true;
    }
    return false;
  }

  private static String columnNames(MessageType schema) {
    List<String> names = new ArrayList<>();
    schema.getFields().forEach(f -> names.add(f.getName()));
    return String.join(", ", names);
  }
}
