package narrow.prune;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import narrow.engine.Device;
import narrow.engine.Tensors;
import narrow.train.Batch;
import org.bytedeco.pytorch.Tensor;

/**
 * One attribution batch as plain arrays, so that Spark can ship it: ids and labels [rows, cols]
 * row-major, labels -100 where no loss is taken (padding, or whatever the caller masked).
 */
public record AttributionBatch(int rows, int cols, long[] inputIds, long[] labels) implements Serializable {
  public AttributionBatch {
    if (rows < 1 || cols < 2) {
      throw new IllegalArgumentException("an attribution batch needs >= 1 row of >= 2 ids, got " + rows + " x " + cols);
    }
    if (inputIds.length != (long) rows * cols || labels.length != inputIds.length) {
      throw new IllegalArgumentException("ids (" + inputIds.length + ") and labels (" + labels.length
          + ") must both hold " + rows + " x " + cols + " values");
    }
  }

  /** Rows right-padded with {@code padId}, labels the ids with the padding ignored (as the trainer's). */
  public static AttributionBatch collate(List<int[]> rows, long padId) {
    Batch b = Batch.collate(rows, padId);
    return new AttributionBatch(b.rows(), b.cols(), b.inputIds(), b.labels());
  }

  public Tensor idsTensor(Device device) {
    return Tensors.longs(inputIds, device, rows, cols);
  }

  public Tensor labelsTensor(Device device) {
    return Tensors.longs(labels, device, rows, cols);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AttributionBatch b && rows == b.rows && cols == b.cols
        && Arrays.equals(inputIds, b.inputIds) && Arrays.equals(labels, b.labels);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(inputIds) + Arrays.hashCode(labels);
  }

  @Override
  public String toString() {
    return "AttributionBatch[" + rows + " x " + cols + "]";
  }
}
