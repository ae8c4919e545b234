package narrow.data;

/**
 * One Parquet row group of a shard: the unit the training data is streamed and shuffled in.
 *
 * @param shard the shard's full path or URI
 * @param index the row group's place in the shard
 * @param rows how many rows it holds (from the footer)
 */
public record RowGroup(String shard, int index, long rows) {}
