package narrow.data;

import java.io.Serializable;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * The tokenize job's Spark accumulators, shipped to every task. Updated inside the write's single
 * stage; a retried task can count twice, so counts the data itself can give (rows, tokens) are
 * taken from the written shards instead.
 */
final class JobCounters implements Serializable {
  /** Input documents seen, duplicates included: what progress and its ETA count. */
  final LongAccumulator inputDocuments;
  final LongAccumulator duplicates;
  final LongAccumulator trainDocuments;
  final LongAccumulator validationDocuments;
  /** Ids the encoder produced, before packing or cutting: what tokens/s measures. */
  final LongAccumulator encodedTokens;
  final LongAccumulator packTailTokensDropped;
  final LongAccumulator truncatedTokensDropped;
  final EnumMap<BadRecordReason, LongAccumulator> skipped = new EnumMap<>(BadRecordReason.class);

  JobCounters(SparkContext sc) {
    inputDocuments = sc.longAccumulator("input documents");
    duplicates = sc.longAccumulator("duplicates");
    trainDocuments = sc.longAccumulator("train documents");
    validationDocuments = sc.longAccumulator("validation documents");
    encodedTokens = sc.longAccumulator("encoded tokens");
    packTailTokensDropped = sc.longAccumulator("pack tail tokens dropped");
    truncatedTokensDropped = sc.longAccumulator("truncated tokens dropped");
    for (BadRecordReason r : BadRecordReason.values()) {
      skipped.put(r, sc.longAccumulator("skipped " + r.key()));
    }
  }

  LongAccumulator documents(String split) {
    return SplitAssigner.VALIDATION.equals(split) ? validationDocuments : trainDocuments;
  }

  /** Reason to count, every reason present (zeros included) so the manifest's shape is fixed. */
  Map<String, Long> skippedCounts(long corruptFiles) {
    Map<String, Long> out = new LinkedHashMap<>();
    skipped.forEach((reason, acc) -> out.put(reason.key(),
        acc.value() + (reason == BadRecordReason.CORRUPT_FILE ? corruptFiles : 0)));
    return out;
  }
}
