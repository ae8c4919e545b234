package narrow.data;

import java.util.Locale;

/** Why a document or an input file was not tokenized; the manifest counts each by this name. */
public enum BadRecordReason {
  /** No text at all (null or zero bytes): nothing to learn from, always skipped. */
  EMPTY,
  /** A NUL byte: binary content stored as text. */
  NUL_BYTES,
  /** Bytes that are not well-formed UTF-8. */
  INVALID_UTF8,
  /** Larger than {@code maxDocumentBytes}. */
  TOO_LARGE,
  /** A Parquet file whose footer or pages cannot be read. */
  CORRUPT_FILE;

  /** The manifest's spelling: {@code invalid_utf8}. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
