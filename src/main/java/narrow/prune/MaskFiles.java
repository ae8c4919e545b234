package narrow.prune;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import narrow.engine.DType;
import narrow.model.io.Safetensors;
import narrow.model.io.SafetensorsHeader;
import narrow.model.io.StreamedTensor;
import narrow.model.io.TorchSave;

/**
 * The mask's files, each a dict of parameter name → float32 0/1 tensor of the parameter's shape,
 * generated row by row from the index lists (Llama-3.2-1B's mask is 5 GB; the heap holds a row):
 * {@code pruning_mask.pt} for {@code torch.load(path, weights_only=True)} and
 * {@code param.data *= mask[name]}, and {@code pruning_mask.safetensors}, readable without PyTorch.
 * A resumed recovery reads the safetensors file back ({@link #readSafetensors}).
 */
public final class MaskFiles {
  public static final String TORCH_FILE = "pruning_mask.pt";
  public static final String SAFETENSORS_FILE = "pruning_mask.safetensors";

  private MaskFiles() {}

  /** Writes both files into {@code dir}. */
  public static void write(PruningMask mask, Path dir) throws IOException {
    writeTorch(mask, dir.resolve(TORCH_FILE));
    writeSafetensors(mask, dir.resolve(SAFETENSORS_FILE));
  }

  public static void writeTorch(PruningMask mask, Path file) throws IOException {
    Map<String, Object> dict = new LinkedHashMap<>();
    for (MaskedParameter m : mask.parameters()) {
      dict.put(m.name(), float32(m));
    }
    TorchSave.save(dict, file);
  }

  public static void writeSafetensors(PruningMask mask, Path file) throws IOException {
    Map<String, StreamedTensor> tensors = new LinkedHashMap<>();
    for (MaskedParameter m : mask.parameters()) tensors.put(m.name(), float32(m));
    Safetensors.writeStreamed(file, tensors, Map.of("format", "pt"));
  }

  /** A parameter's mask as float32 0/1, generated row by row while written. */
  private static StreamedTensor float32(MaskedParameter m) {
    return new StreamedTensor(DType.F32, m.shape(), m::writeFloat32);
  }

  /**
   * The mask of a {@code pruning_mask.safetensors} as {@link #writeSafetensors} wrote it, read a
   * row at a time (the heap holds a row, as when writing): each parameter's all-zero rows, and the
   * zeroed columns every other row shares. A file that this writer could not have made (another
   * dtype, a value not 0 or 1, a row that zeroes other columns than its neighbours) is an error
   * naming the tensor and the row: writing the mask read gives the file's bytes back, or it is refused.
   * A 2-D parameter zeroed whole (every neuron pruned) is read as all its rows zeroed: the file
   * cannot tell rows from columns there, and both zero the same entries.
   */
  public static PruningMask readSafetensors(Path file) throws IOException {
    SafetensorsHeader header = Safetensors.readHeader(file); // checks the tensors tile the data section
    List<SafetensorsHeader.TensorInfo> inFileOrder = new ArrayList<>(header.tensors().values());
    inFileOrder.sort(Comparator.comparingLong(SafetensorsHeader.TensorInfo::begin));
    List<MaskedParameter> parameters = new ArrayList<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
      in.skipNBytes(header.dataStart());
      for (SafetensorsHeader.TensorInfo t : inFileOrder) parameters.add(readParameter(file, t, in));
    }
    return new PruningMask(parameters);
  }

  private static MaskedParameter readParameter(Path file, SafetensorsHeader.TensorInfo t, InputStream in)
      throws IOException {
    long[] shape = t.shape();
    if (t.dtype() != DType.F32 || shape.length < 1 || shape.length > 2) {
      throw notAMask(file, t.name(), "is " + t.dtype() + " " + Arrays.toString(shape)
          + ", a mask is float32 of a 1-D or 2-D parameter");
    }
    long rows = shape.length == 1 ? 1 : shape[0];
    int cols = Math.toIntExact(shape.length == 1 ? shape[0] : shape[1]);
    byte[] row = new byte[cols * 4];
    byte[] kept = null; // the first row that is not zeroed whole: every other such row must equal it
    long keptAt = -1;
    List<Long> zeroRows = new ArrayList<>();
    for (long r = 0; r < rows; r++) {
      if (in.readNBytes(row, 0, row.length) < row.length) throw notAMask(file, t.name(), "ends at row " + r);
      boolean allZero = true;
      ByteBuffer b = ByteBuffer.wrap(row).order(ByteOrder.LITTLE_ENDIAN);
      for (int c = 0; c < cols; c++) {
        float v = b.getFloat(c * 4);
        if (v != 0f && v != 1f) throw notAMask(file, t.name(), "holds " + v + " at row " + r + ": not a 0/1 mask");
        if (v != 0f) allZero = false;
      }
      if (shape.length == 2 && allZero) {
        zeroRows.add(r);
      } else if (kept == null) {
        kept = row.clone();
        keptAt = r;
      } else if (!Arrays.equals(kept, row)) {
        throw notAMask(file, t.name(), "row " + r + " zeroes other columns than row " + keptAt
            + ": not a mask of whole rows and columns");
      }
    }
    long[] zeroInKept = zeroEntries(kept == null ? new byte[0] : kept);
    long[] rowIndices = zeroRows.stream().mapToLong(Long::longValue).toArray();
    return shape.length == 1 ? new MaskedParameter(t.name(), shape, zeroInKept, new long[0])
        : new MaskedParameter(t.name(), shape, rowIndices, zeroInKept);
  }

  private static long[] zeroEntries(byte[] row) {
    ByteBuffer b = ByteBuffer.wrap(row).order(ByteOrder.LITTLE_ENDIAN);
    return java.util.stream.LongStream.range(0, row.length / 4).filter(c -> b.getFloat((int) c * 4) == 0f).toArray();
  }

  private static IOException notAMask(Path file, String tensor, String why) {
    return new IOException(file + ": tensor '" + tensor + "' " + why + " (not a pruning mask narrow wrote)");
  }
}
