package narrow.data;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;
import java.util.Locale;

/**
 * The {@code data:} section of an experiment, as the tokenize job takes it: where the corpus is,
 * how it is tokenized and sharded. Defaults are the study's (Python, sequence length 1024) with
 * the efficient packed layout; a value left out (null) takes its default. {@code narrow.config}
 * checks the values ({@code DataSection}); the job trusts them.
 *
 * @param input Parquet in the codeparrot/github-code schema: a local path or {@code s3a://}
 * @param output where shards, manifest and the commit marker go (local path or {@code s3a://})
 * @param languages codeparrot language names to keep ("Python")
 * @param licenses licenses to keep; empty keeps all
 * @param layout {@code pack} or {@code truncate}
 * @param seqLen ids per row (pack) or the cut length (truncate)
 * @param validationFraction share of documents, by hash of repo_name/path, in the validation split
 * @param tokenizer the tokenizer.json: {@value #DEFAULT_TOKENIZER} (the cached Llama-3.1 one) or a
 *     path; the job takes a path ({@code narrow.config.TokenizerLocation#resolved})
 * @param encoder {@code fast} (pure Java) or {@code oracle} (Hugging Face through DJL)
 * @param rowsPerShard at most this many rows per shard file (0: no limit)
 * @param bytesPerShard about this many bytes of ids per shard file (0: no limit)
 * @param dedup drop exact duplicate documents (by content hash)
 * @param skipBadRecords skip and count bad documents instead of failing on the first
 * @param maxDocumentBytes documents larger than this are bad records
 * @param overwrite replace an existing output
 */
public record TokenizeSettings(
    String input,
    String output,
    List<String> languages,
    List<String> licenses,
    Layout layout,
    Integer seqLen,
    Double validationFraction,
    String tokenizer,
    Encoder encoder,
    Long rowsPerShard,
    Long bytesPerShard,
    Boolean dedup,
    Boolean skipBadRecords,
    Long maxDocumentBytes,
    Boolean overwrite) {

  /** The name that means "the Llama-3.1 tokenizer fetched by data-prep/fetch-tokenizer.sh". */
  public static final String DEFAULT_TOKENIZER = "llama-3.1";

  public enum Layout { PACK, TRUNCATE }

  /** The byte-pair encoder that turns text into ids; both give the same ids. */
  public enum Encoder {
    /** Pure Java. */
    FAST,
    /** Hugging Face's own tokenizer through DJL. */
    ORACLE;

    /** As config files and {@code TokenEncoders} spell it, and as the manifest records it. */
    @JsonValue
    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public TokenizeSettings {
    languages = languages == null ? List.of("Python") : List.copyOf(languages);
    licenses = licenses == null ? List.of() : List.copyOf(licenses);
    layout = layout == null ? Layout.PACK : layout;
    seqLen = seqLen == null ? 1024 : seqLen;
    validationFraction = validationFraction == null ? 0.01 : validationFraction;
    tokenizer = tokenizer == null ? DEFAULT_TOKENIZER : tokenizer;
    encoder = encoder == null ? Encoder.FAST : encoder;
    rowsPerShard = rowsPerShard == null ? 100_000L : rowsPerShard;
    bytesPerShard = bytesPerShard == null ? 0L : bytesPerShard;
    dedup = dedup == null || dedup;
    skipBadRecords = skipBadRecords != null && skipBadRecords;
    maxDocumentBytes = maxDocumentBytes == null ? 16L << 20 : maxDocumentBytes;
    overwrite = overwrite != null && overwrite;
  }

  /** Every default: the section a config leaves out. */
  public static TokenizeSettings defaults() {
    return new TokenizeSettings(null, null, null, null, null, null, null, null, null, null, null, null,
        null, null, null);
  }

  /** These settings reading {@code tokenizerJson} (a path) for the tokenizer. */
  public TokenizeSettings withTokenizer(String tokenizerJson) {
    return new TokenizeSettings(input, output, languages, licenses, layout, seqLen, validationFraction,
        tokenizerJson, encoder, rowsPerShard, bytesPerShard, dedup, skipBadRecords, maxDocumentBytes, overwrite);
  }
}
