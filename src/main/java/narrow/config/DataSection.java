package narrow.config;

import narrow.data.CodeparrotLanguages;
import narrow.data.TokenizeSettings;

/** The rules of the {@code data:} section ({@link TokenizeSettings}), checked once, when a config loads. */
final class DataSection {
  private DataSection() {}

  /** What the tokenize job needs beyond a valid section: a corpus, on a local disk when not remote. */
  static void requireCorpus(TokenizeSettings data, java.nio.file.Path file) {
    ConfigErrors errors = new ConfigErrors(file);
    if (errors.requirePresent("data.input", data.input())) errors.requireExistingLocal("data.input", data.input());
    errors.throwIfAny();
  }

  static void validate(TokenizeSettings data, ConfigErrors errors) {
    // data.input is the tokenize job's alone (checked by requireCorpus): training reads data.output
    errors.requirePresent("data.output", data.output());
    if (data.languages().isEmpty()) errors.add("data.languages", "keep at least one language");
    for (String language : data.languages()) {
      if (!CodeparrotLanguages.names().contains(language)) {
        errors.add("data.languages", "unknown language '" + language
            + "'; codeparrot/github-code names: " + String.join(", ", CodeparrotLanguages.names()));
      }
    }
    // a row needs an input and a label: the model learns id i+1 from the ids up to i
    if (data.seqLen() < 2) errors.add("data.seq_len", "must be at least 2 (an input and a label), got " + data.seqLen());
    errors.requireInRange("data.validation_fraction", data.validationFraction(), 0.0, 0.5);
    if (!data.tokenizer().equals(TokenizeSettings.DEFAULT_TOKENIZER)) {
      errors.requireExistingLocal("data.tokenizer", data.tokenizer());
    }
    errors.requireNonNegative("data.rows_per_shard", data.rowsPerShard());
    errors.requireNonNegative("data.bytes_per_shard", data.bytesPerShard());
    errors.requirePositive("data.max_document_bytes", data.maxDocumentBytes());
  }
}
