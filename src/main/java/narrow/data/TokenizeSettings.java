package narrow.data;

import java.util.List;

/**
 * Everything the tokenize job needs, already validated by the config layer.
 *
 * @param input Parquet in the codeparrot/github-code schema: a local path or {@code s3a://}
 * @param output where shards, manifest and the commit marker go (local path or {@code s3a://})
 * @param languages codeparrot language names to keep ("Python")
 * @param licenses licenses to keep; empty keeps all
 * @param layout {@code pack} or {@code truncate}
 * @param seqLen ids per row (pack) or the cut length (truncate)
 * @param validationFraction share of documents, by hash of repo_name/path, in the validation split
 * @param tokenizerJson the Llama-3.1 tokenizer.json
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
    int seqLen,
    double validationFraction,
    String tokenizerJson,
    String encoder,
    long rowsPerShard,
    long bytesPerShard,
    boolean dedup,
    boolean skipBadRecords,
    long maxDocumentBytes,
    boolean overwrite) {

  public enum Layout { PACK, TRUNCATE }
}
