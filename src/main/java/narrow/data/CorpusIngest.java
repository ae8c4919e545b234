package narrow.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import narrow.util.OutputFolder;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * A source tree to Parquet rows in the {@code codeparrot/github-code} schema, so that a local
 * corpus goes through exactly the path the published one does. The tree is listed on the driver
 * and read by the tasks: on a cluster it must be on a file system every executor sees.
 *
 * <p>{@code repo_name} is a file's first folder under {@code from} (a tree of checked-out
 * repositories), or the name of {@code from} itself for files directly in it; {@code path} is the
 * rest, with {@code /} separators.
 */
public final class CorpusIngest {
  public static final String DEFAULT_LICENSE = "unknown";
  /** codeparrot/github-code left out files over 1 MB. */
  public static final long DEFAULT_MAX_FILE_BYTES = 1 << 20;
  private static final long BYTES_PER_PARTITION = 64L << 20;

  public static final StructType SCHEMA = new StructType()
      .add("code", DataTypes.StringType, false)
      .add("repo_name", DataTypes.StringType, false)
      .add("path", DataTypes.StringType, false)
      .add("language", DataTypes.StringType, false)
      .add("license", DataTypes.StringType, false)
      .add("size", DataTypes.IntegerType, false);

  private CorpusIngest() {}

  public static IngestResult run(SparkSession spark, Path from, String out, boolean overwrite) {
    return run(spark, from, out, overwrite, DEFAULT_LICENSE, DEFAULT_MAX_FILE_BYTES);
  }

  /** @param maxFileBytes larger files are skipped and counted; 0 keeps all */
  public static IngestResult run(SparkSession spark, Path from, String out, boolean overwrite,
      String license, long maxFileBytes) {
    Path root = from.toAbsolutePath().normalize();
    if (!Files.isDirectory(root)) throw new TokenizeException("ingest: " + from + " is not a folder");
    List<String[]> files = new ArrayList<>(); // absolute path, repo_name, path, language
    long otherExtension = 0;
    long bytes = 0;
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) continue;
        var language = CodeparrotLanguages.of(p.getFileName().toString());
        if (language.isEmpty()) {
          otherExtension++;
          continue;
        }
        Path rel = root.relativize(p);
        String repo = rel.getNameCount() > 1 ? rel.getName(0).toString() : root.getFileName().toString();
        Path inRepo = rel.getNameCount() > 1 ? rel.subpath(1, rel.getNameCount()) : rel;
        files.add(new String[] {p.toString(), repo, inRepo.toString().replace('\\', '/'), language.get()});
        bytes += Files.size(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("ingest: cannot list " + from, e);
    }

    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    LongAccumulator binary = sc.sc().longAccumulator("ingest binary");
    LongAccumulator undecodable = sc.sc().longAccumulator("ingest undecodable");
    LongAccumulator tooLarge = sc.sc().longAccumulator("ingest too large");
    int partitions = (int) Math.max(1, Math.min(10_000, (bytes + BYTES_PER_PARTITION - 1) / BYTES_PER_PARTITION));
    JavaRDD<Row> rows = sc.parallelize(files, partitions)
        .mapPartitions(new ReadFiles(license, maxFileBytes, binary, undecodable, tooLarge));

    try (OutputFolder staged = TokenizeJob.stage(out, overwrite, spark.sparkContext().hadoopConfiguration())) {
      spark.createDataFrame(rows, SCHEMA).write().mode(SaveMode.Overwrite).parquet(staged.staging().toString());
      Map<String, Long> byLanguage = new TreeMap<>();
      long written = 0;
      // the files, not the folder: Spark skips a folder whose name starts with '.' and says so
      String stagedFiles = new org.apache.hadoop.fs.Path(staged.staging(), "*.parquet").toString();
      for (Row r : spark.read().parquet(stagedFiles).groupBy("language").count().collectAsList()) {
        byLanguage.put(r.getString(0), r.getLong(1));
        written += r.getLong(1);
      }
      staged.commit();
      return new IngestResult(staged.target().toString(), written, byLanguage, otherExtension,
          binary.value(), undecodable.value(), tooLarge.value());
    } catch (FileAlreadyExistsException e) {
      throw TokenizeJob.outputExists(e);
    } catch (IOException e) {
      throw new UncheckedIOException("ingest: cannot write " + out, e);
    }
  }

  /** Reads each listed file on the executor; bad files are counted, not written. */
  private static final class ReadFiles implements FlatMapFunction<Iterator<String[]>, Row> {
    private final String license;
    private final long maxFileBytes;
    private final LongAccumulator binary;
    private final LongAccumulator undecodable;
    private final LongAccumulator tooLarge;

    ReadFiles(String license, long maxFileBytes, LongAccumulator binary,
        LongAccumulator undecodable, LongAccumulator tooLarge) {
      this.license = license;
      this.maxFileBytes = maxFileBytes;
      this.binary = binary;
      this.undecodable = undecodable;
      this.tooLarge = tooLarge;
    }

    @Override
    public Iterator<Row> call(Iterator<String[]> files) throws IOException {
      List<Row> out = new ArrayList<>();
      while (files.hasNext()) {
        String[] f = files.next();
        Path p = Path.of(f[0]);
        if (maxFileBytes > 0 && Files.size(p) > maxFileBytes) {
          tooLarge.add(1);
          continue;
        }
        byte[] bytes = Files.readAllBytes(p);
        String text;
        if (bytes.length == 0) {
          text = ""; // an empty __init__.py is a real file; the tokenize job counts and skips it
        } else {
          DocumentCheck.Result checked = DocumentCheck.decode(bytes, 0);
          if (checked.problem() == BadRecordReason.NUL_BYTES) {
            binary.add(1);
            continue;
          }
          if (checked.problem() == BadRecordReason.INVALID_UTF8) {
            undecodable.add(1);
            continue;
          }
          text = checked.text();
        }
        out.add(RowFactory.create(text, f[1], f[2], f[3], license, bytes.length));
      }
      return out.iterator();
    }
  }
}
