package narrow.data;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * {@code manifest.json} of a tokenized dataset: what went in, what came out, what was left out
 * and why. Shard paths are relative to the dataset folder, so the folder can be moved or copied.
 *
 * @param inputDocuments documents that passed the language/license filter, duplicates included
 * @param duplicates exact copies dropped (same content hash; the smallest repo_name/path kept)
 * @param skipped bad records by {@link BadRecordReason#key()}; corrupt_file counts files
 * @param packTailTokensDropped ids left over at the end of each task's pack that filled no row
 * @param truncatedTokensDropped ids cut off documents longer than seq_len (truncate layout)
 */
public record TokenizeManifest(
    int formatVersion,
    String startedAt,
    String finishedAt,
    String input,
    List<String> inputFiles,
    List<String> skippedFiles,
    Tokenizer tokenizer,
    TokenizeSettings settings,
    long inputDocuments,
    long duplicates,
    Map<String, Long> skipped,
    long packTailTokensDropped,
    long truncatedTokensDropped,
    Map<String, Split> splits) {

  public static final String FILE_NAME = "manifest.json";
  public static final int FORMAT_VERSION = 1;

  /** @param encoder the implementation that produced the ids ("fast", "oracle") */
  public record Tokenizer(String path, String sha256, String encoder, int beginOfText, int endOfText) {}

  /**
   * @param rows rows over all shards
   * @param documents documents tokenized into this split
   * @param tokens ids written (special tokens included)
   */
  public record Split(long rows, long documents, long tokens, List<Shard> shards) {}

  /** @param path relative to the dataset folder, e.g. {@code train/part-00000-….parquet} */
  public record Shard(String path, long rows, long bytes) {}

  static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .addMixIn(TokenizeSettings.class, SettingsKeys.class);

  /** The settings' keys as format 1 wrote them: the resolved tokenizer is {@code tokenizerJson}. */
  private abstract static class SettingsKeys {
    @JsonProperty("tokenizerJson")
    abstract String tokenizer();
  }

  public void write(FileSystem fs, Path file) throws IOException {
    try (OutputStream out = fs.create(file, false)) {
      JSON.writeValue(out, this);
    }
  }

  public static TokenizeManifest read(FileSystem fs, Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      return JSON.readValue(in, TokenizeManifest.class);
    }
  }

  /**
   * SHA-256 (hex) of the manifest of the dataset at {@code dataset} (a local path or a URI), or
   * null when it has none: what a run's metadata records of the data it trained on.
   */
  public static String sha256(String dataset, org.apache.hadoop.conf.Configuration hadoop) throws IOException {
    Path manifest = new Path(narrow.util.Locations.hadoopPath(dataset), FILE_NAME);
    FileSystem fs = narrow.util.ObjectStores.reach(manifest, hadoop);
    if (!fs.exists(manifest)) return null;
    try (InputStream in = fs.open(manifest)) {
      return java.util.HexFormat.of().formatHex(
          java.security.MessageDigest.getInstance("SHA-256").digest(in.readAllBytes()));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }
}
