package narrow.config;

import narrow.data.CodeparrotLanguages;
import narrow.data.TokenizeSettings;
import narrow.data.TokenizeSettings.Layout;
import java.util.List;

/**
 * The {@code data:} section: where the corpus is, how it is tokenized and sharded.
 * Defaults are the study's (Python, sequence length 1024) with the efficient packed layout.
 */
public record DataConfig(
    String input,
    String output,
    List<String> languages,
    List<String> licenses,
    Layout layout,
    Integer seqLen,
    Double validationFraction,
    String tokenizer,
    String encoder,
    Long rowsPerShard,
    Long bytesPerShard,
    Boolean dedup,
    Boolean skipBadRecords,
    Long maxDocumentBytes,
    Boolean overwrite) {

  /** The name that means "the Llama-3.1 tokenizer fetched by data-prep/fetch-tokenizer.sh". */
  public static final String DEFAULT_TOKENIZER = "llama-3.1";

  public DataConfig {
    languages = languages == null ? List.of("Python") : List.copyOf(languages);
    licenses = licenses == null ? List.of() : List.copyOf(licenses);
    layout = layout == null ? Layout.PACK : layout;
    seqLen = seqLen == null ? 1024 : seqLen;
    validationFraction = validationFraction == null ? 0.01 : validationFraction;
    tokenizer = tokenizer == null ? DEFAULT_TOKENIZER : tokenizer;
    encoder = encoder == null ? "fast" : encoder;
    rowsPerShard = rowsPerShard == null ? 100_000L : rowsPerShard;
    bytesPerShard = bytesPerShard == null ? 0L : bytesPerShard;
    dedup = dedup == null || dedup;
    skipBadRecords = skipBadRecords != null && skipBadRecords;
    maxDocumentBytes = maxDocumentBytes == null ? 16L << 20 : maxDocumentBytes;
    overwrite = overwrite != null && overwrite;
  }

  static DataConfig empty() {
    return new DataConfig(null, null, null, null, null, null, null, null, null, null, null, null,
        null, null, null);
  }

  void validate(ConfigErrors errors) {
    if (errors.requirePresent("data.input", input)) errors.requireExistingLocal("data.input", input);
    errors.requirePresent("data.output", output);
    if (languages.isEmpty()) errors.add("data.languages", "keep at least one language");
    for (String language : languages) {
      if (!CodeparrotLanguages.names().contains(language)) {
        errors.add("data.languages", "unknown language '" + language
            + "'; codeparrot/github-code names: " + String.join(", ", CodeparrotLanguages.names()));
      }
    }
    errors.requirePositive("data.seq_len", seqLen);
    errors.requireInRange("data.validation_fraction", validationFraction, 0.0, 0.5);
    if (!encoder.equals("fast") && !encoder.equals("oracle")) {
      errors.add("data.encoder", "must be 'fast' (pure Java) or 'oracle' (Hugging Face), got '" + encoder + "'");
    }
    if (!tokenizer.equals(DEFAULT_TOKENIZER)) errors.requireExistingLocal("data.tokenizer", tokenizer);
    errors.requireNonNegative("data.rows_per_shard", rowsPerShard);
    errors.requireNonNegative("data.bytes_per_shard", bytesPerShard);
    errors.requirePositive("data.max_document_bytes", maxDocumentBytes);
  }

  /** The job's settings, with the tokenizer name resolved to a file. */
  public TokenizeSettings toSettings() {
    return new TokenizeSettings(input, output, languages, licenses, layout, seqLen,
        validationFraction, TokenizerLocation.resolve(tokenizer).toString(), encoder,
        rowsPerShard, bytesPerShard, dedup, skipBadRecords, maxDocumentBytes, overwrite);
  }
}
