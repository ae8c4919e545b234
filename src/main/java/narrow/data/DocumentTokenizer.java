package narrow.data;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import narrow.data.tokenizer.TokenEncoder;
import narrow.data.tokenizer.TokenizerInfo;
import org.apache.spark.SparkFiles;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * The tokenize job's per-partition work: one encoder per task, built on the executor from the
 * tokenizer file; documents checked, split, encoded and laid out one at a time, so a partition
 * is never held in memory (only the document being encoded and one row under construction).
 *
 * <p>Input rows: {@code code} (binary), {@code repo_name}, {@code path}, {@code source_file},
 * {@code content_hash} (a content's copies adjacent, the one to keep first; null without dedup).
 * Output: {@link TokenRow}s, renamed to shard columns by {@link TokenizeJob#shardColumns}.
 */
final class DocumentTokenizer implements MapPartitionsFunction<Row, TokenRow> {
  private final TokenizeSettings.Layout layout;
  private final int seqLen;
  private final double validationFraction;
  private final String tokenizerJson;
  private final String encoderKind;
  private final long maxDocumentBytes;
  private final boolean skipBadRecords;
  private final JobCounters counters;
  private final int beginOfText;
  private final int endOfText;

  /** @param tokenizer the file's special ids, read once on the driver */
  DocumentTokenizer(TokenizeSettings s, TokenizerInfo tokenizer, JobCounters counters) {
    this.beginOfText = tokenizer.bosId();
    this.endOfText = tokenizer.eosId();
    this.layout = s.layout();
    this.seqLen = s.seqLen();
    this.validationFraction = s.validationFraction();
    this.tokenizerJson = s.tokenizer();
    this.encoderKind = s.encoder().toString();
    this.maxDocumentBytes = s.maxDocumentBytes();
    this.skipBadRecords = s.skipBadRecords();
    this.counters = counters;
  }

  @Override
  public Iterator<TokenRow> call(Iterator<Row> documents) {
    Path file = localTokenizerFile(tokenizerJson);
    TokenEncoder encoder = EncoderPool.borrow(encoderKind, file);
    Rows rows = new Rows(documents, encoder, file);
    TaskContext task = TaskContext.get();
    // a failed or cancelled task never reaches the end of the iterator
    if (task != null) task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> rows.closeEncoder());
    return rows;
  }

  /** The tokenizer where this executor can read it: the path itself, or Spark's shipped copy. */
  static Path localTokenizerFile(String tokenizerJson) {
    Path p = Path.of(tokenizerJson);
    if (Files.isReadable(p)) return p;
    return Path.of(SparkFiles.get(new File(tokenizerJson).getName()));
  }

  /** Pulls documents only when the rows produced so far are used up. */
  private final class Rows implements Iterator<TokenRow> {
    private final Iterator<Row> in;
    private final TokenEncoder encoder;
    private final ArrayDeque<TokenRow> ready = new ArrayDeque<>();
    private final SequencePacker trainPacker;
    private final SequencePacker validationPacker;
    private boolean finished;
    private boolean encoderClosed;
    private String previousHash;

    private final Path encoderFile;

    Rows(Iterator<Row> in, TokenEncoder encoder, Path encoderFile) {
      this.in = in;
      this.encoder = encoder;
      this.encoderFile = encoderFile;
      this.trainPacker = new SequencePacker(seqLen, endOfText,
          ids -> ready.add(new TokenRow(SplitAssigner.TRAIN, ids, null, 0)));
      this.validationPacker = new SequencePacker(seqLen, endOfText,
          ids -> ready.add(new TokenRow(SplitAssigner.VALIDATION, ids, null, 0)));
    }

    @Override
    public boolean hasNext() {
      while (ready.isEmpty() && !finished) {
        if (in.hasNext()) {
          process(in.next());
        } else {
          finished = true;
          counters.packTailTokensDropped.add(
              trainPacker.pendingTokens() + validationPacker.pendingTokens());
          closeEncoder();
        }
      }
      return !ready.isEmpty();
    }

    /** Once only: two tasks must never hold the same encoder. */
    void closeEncoder() {
      if (encoderClosed) return;
      encoderClosed = true;
      EncoderPool.giveBack(encoderKind, encoderFile, encoder);
    }

    @Override
    public TokenRow next() {
      if (!hasNext()) throw new NoSuchElementException();
      return ready.poll();
    }

    private void process(Row doc) {
      byte[] code = doc.getAs("code");
      String repo = doc.getAs("repo_name");
      String path = doc.getAs("path");
      counters.inputDocuments.add(1);
      String hash = doc.getAs("content_hash");
      if (hash != null && hash.equals(previousHash)) {
        counters.duplicates.add(1);
        return;
      }
      previousHash = hash;

      DocumentCheck.Result checked = DocumentCheck.decode(code, maxDocumentBytes);
      if (checked.problem() != null) {
        if (!skipBadRecords && checked.problem() != BadRecordReason.EMPTY) {
          throw new TokenizeException("bad document (" + checked.problem().key() + ", "
              + (code == null ? 0 : code.length) + " bytes) in input file "
              + doc.getAs("source_file") + ": repo_name=" + repo + " path=" + path
              + "; set skipBadRecords to skip and count such documents");
        }
        counters.skipped.get(checked.problem()).add(1);
        return;
      }
      String key = SplitAssigner.key(repo, path);
      String split = SplitAssigner.splitOf(key, validationFraction);
      int[] ids = encoder.encode(checked.text());
      counters.encodedTokens.add(ids.length);
      counters.documents(split).add(1);
      if (layout == TokenizeSettings.Layout.PACK) {
        (SplitAssigner.VALIDATION.equals(split) ? validationPacker : trainPacker).add(ids);
      } else {
        int[] row = Truncator.withBosCut(beginOfText, ids, seqLen);
        counters.truncatedTokensDropped.add(ids.length + 1 - row.length);
        ready.add(new TokenRow(split, row, key, ids.length + 1));
      }
    }
  }
}
