package narrow.prune;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import narrow.engine.Ops;
import org.bytedeco.pytorch.Tensor;

/**
 * What a pruning mask zeroes in one parameter: whole rows (dimension 0) and whole columns
 * (dimension 1). A 1-D parameter (a norm) has only {@code zeroRows}: its zeroed entries. Held as
 * index lists, so a mask costs the size of the selection, not of the model; the 0/1 float32 form
 * is only ever generated as a byte stream, one row at a time.
 *
 * @param name the Hugging Face parameter name
 * @param shape the parameter's shape (1-D or 2-D)
 * @param zeroRows sorted distinct indices along dimension 0
 * @param zeroColumns sorted distinct indices along dimension 1 (empty for 1-D)
 */
public record MaskedParameter(String name, long[] shape, long[] zeroRows, long[] zeroColumns)
    implements Serializable {

  public MaskedParameter {
    if (shape.length != 1 && shape.length != 2) {
      throw new IllegalArgumentException(name + ": a mask covers 1-D and 2-D parameters, got "
          + Arrays.toString(shape));
    }
    if (shape.length == 1 && zeroColumns.length > 0) {
      throw new IllegalArgumentException(name + ": a 1-D parameter has no columns");
    }
    zeroRows = checked(name, zeroRows, shape[0]);
    zeroColumns = checked(name, zeroColumns, shape.length == 2 ? shape[1] : 0);
  }

  private static long[] checked(String name, long[] indices, long bound) {
    long[] s = Arrays.stream(indices).sorted().distinct().toArray();
    if (s.length > 0 && (s[0] < 0 || s[s.length - 1] >= bound)) {
      throw new IllegalArgumentException(name + ": mask index out of [0, " + bound + ")");
    }
    return s;
  }

  public long numel() {
    return shape.length == 1 ? shape[0] : shape[0] * shape[1];
  }

  /** The entries the mask keeps (its ones): a pruned model's parameters left in this one. */
  public long kept() {
    if (shape.length == 1) return shape[0] - zeroRows.length;
    return (shape[0] - zeroRows.length) * (shape[1] - zeroColumns.length);
  }

  /** Whether this mask zeroes nothing (an all-ones tensor). */
  public boolean isIdentity() {
    return zeroRows.length == 0 && zeroColumns.length == 0;
  }

  /** The mask's value at {@code (row, column)} (column 0 for a 1-D parameter's entry {@code row}). */
  public float valueAt(long row, long column) {
    boolean zero = Arrays.binarySearch(zeroRows, row) >= 0 || Arrays.binarySearch(zeroColumns, column) >= 0;
    return zero ? 0f : 1f;
  }

  /**
   * Zeroes the masked rows and columns of {@code parameter} (or of its gradient) in place with
   * {@code index_fill_}; call with grad mode off.
   */
  public void applyTo(Tensor parameter) {
    Ops.zeroSlices(parameter, 0, zeroRows);
    if (shape.length == 2) Ops.zeroSlices(parameter, 1, zeroColumns);
  }

  /**
   * Writes the mask as float32 little-endian, row-major (PyTorch's and safetensors' layout): one
   * row template of ones with the zeroed columns, written for each row that is not zeroed
   * whole, so the heap holds one row whatever the parameter's size.
   */
  public void writeFloat32(OutputStream out) throws IOException {
    long rows = shape.length == 1 ? 1 : shape[0];
    int cols = Math.toIntExact(shape.length == 1 ? shape[0] : shape[1]);
    long[] zeroInRow = shape.length == 1 ? zeroRows : zeroColumns;
    byte[] kept = new byte[cols * 4];
    ByteBuffer b = ByteBuffer.wrap(kept).order(ByteOrder.LITTLE_ENDIAN);
    for (int c = 0; c < cols; c++) b.putFloat(c * 4, 1f);
    for (long c : zeroInRow) b.putFloat((int) c * 4, 0f);
    byte[] zero = new byte[cols * 4];
    int next = 0; // the next zeroed row, in the sorted list
    for (long r = 0; r < rows; r++) {
      boolean zeroRow = shape.length == 2 && next < zeroRows.length && zeroRows[next] == r;
      if (zeroRow) next++;
      out.write(zeroRow ? zero : kept);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MaskedParameter m && name.equals(m.name) && Arrays.equals(shape, m.shape)
        && Arrays.equals(zeroRows, m.zeroRows) && Arrays.equals(zeroColumns, m.zeroColumns);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape) + " zero rows " + zeroRows.length + ", columns " + zeroColumns.length;
  }
}
