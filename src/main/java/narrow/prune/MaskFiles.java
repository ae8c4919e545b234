package narrow.prune;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import narrow.engine.DType;
import narrow.model.io.Safetensors;
import narrow.model.io.StreamedTensor;
import narrow.model.io.TorchSave;

/**
 * The mask's files, each a dict of parameter name → float32 0/1 tensor of the parameter's shape,
 * generated row by row from the index lists (Llama-3.2-1B's mask is 5 GB; the heap holds a row):
 * {@code pruning_mask.pt} for {@code torch.load(path, weights_only=True)} and
 * {@code param.data *= mask[name]}, and {@code pruning_mask.safetensors}, readable without PyTorch.
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
}
