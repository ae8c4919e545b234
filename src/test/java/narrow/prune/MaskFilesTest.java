package narrow.prune;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import narrow.engine.DType;
import narrow.model.Fixtures;
import narrow.model.LlamaConfig;
import narrow.model.io.Safetensors;
import narrow.model.io.StreamedTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code pruning_mask.safetensors} read back, as a resumed recovery reads it. */
class MaskFilesTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {Fixtures.UNTIED, Fixtures.TIED})
  void theMaskReadBackIsTheMaskWrittenAndWritesTheSameBytes(String model) throws IOException {
    LlamaConfig c = PruningMaskTest.config(model);
    PruningMask mask = PruningMask.of(PruningMaskTest.randomHalf(c), c);
    Path file = tmp.resolve(MaskFiles.SAFETENSORS_FILE);
    MaskFiles.writeSafetensors(mask, file);
    PruningMask read = MaskFiles.readSafetensors(file);
    assertEquals(mask, read);
    assertEquals(mask.kept(), read.kept());
    Path again = tmp.resolve("again.safetensors");
    MaskFiles.writeSafetensors(read, again);
    assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(again));
    PruneResume.checkCovers(read, c, file.toString(), model); // made for this model: no error
  }

  @Test
  void aMaskOfNothingAndOneOfEverythingReadBack() throws IOException {
    LlamaConfig c = PruningMaskTest.config(Fixtures.UNTIED);
    int neurons = c.numHiddenLayers() * c.intermediateSize();
    PruningMask none = PruningMask.of(new PruningSelection(List.of(), List.of(), neurons, c.hiddenSize()), c);
    Path file = tmp.resolve("none.safetensors");
    MaskFiles.writeSafetensors(none, file);
    assertEquals(none, MaskFiles.readSafetensors(file));
    // every neuron pruned: down_proj is zero whole, which its rows or its columns say alike; it is
    // read as its rows, the same zeroing and the same bytes
    PruningMask allNeurons = PruningMask.of(RandomPruning.draw(c.numHiddenLayers(), c.intermediateSize(),
        c.hiddenSize(), 1.0, 0.0, 1, false), c);
    MaskFiles.writeSafetensors(allNeurons, file);
    PruningMask read = MaskFiles.readSafetensors(file);
    assertEquals(0, read.parameters().stream().filter(m -> m.name().endsWith("down_proj.weight"))
        .mapToLong(MaskedParameter::kept).sum());
    assertEquals(allNeurons.kept(), read.kept());
    Path again = tmp.resolve("again.safetensors");
    MaskFiles.writeSafetensors(read, again);
    assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(again));
  }

  @Test
  void aFileThatIsNotAMaskOfWholeRowsAndColumnsIsRefusedNamingTheTensorAndRow() throws IOException {
    Path file = tmp.resolve("bad.safetensors");
    // row 0 zeroes column 0, row 1 is zeroed whole, row 2 zeroes column 1: no set of whole rows and
    // columns gives this
    float[][] rows = {{0, 1, 1}, {0, 0, 0}, {1, 0, 1}};
    write(file, "w", new long[] {3, 3}, rows);
    IOException e = assertThrows(IOException.class, () -> MaskFiles.readSafetensors(file));
    assertEquals(file + ": tensor 'w' row 2 zeroes other columns than row 0: not a mask of whole rows and "
        + "columns (not a pruning mask narrow wrote)", e.getMessage());
    write(file, "norm", new long[] {3}, new float[][] {{1, 0.5f, 1}});
    e = assertThrows(IOException.class, () -> MaskFiles.readSafetensors(file));
    assertEquals(file + ": tensor 'norm' holds 0.5 at row 0: not a 0/1 mask (not a pruning mask narrow wrote)",
        e.getMessage());
  }

  @Test
  void aMaskOfAnotherModelIsRefused() throws IOException {
    LlamaConfig untied = PruningMaskTest.config(Fixtures.UNTIED);
    LlamaConfig tied = PruningMaskTest.config(Fixtures.TIED);
    PruningMask mask = PruningMask.of(PruningMaskTest.randomHalf(untied), untied);
    IOException e = assertThrows(IOException.class, () -> PruneResume.checkCovers(mask, tied, "M", "BASE"));
    assertTrue(e.getMessage().startsWith("M is not a mask of BASE (its "), e.getMessage());
  }

  private static void write(Path file, String name, long[] shape, float[][] rows) throws IOException {
    Map<String, StreamedTensor> t = new LinkedHashMap<>();
    t.put(name, new StreamedTensor(DType.F32, shape, out -> {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * rows.length * rows[0].length)
          .order(java.nio.ByteOrder.LITTLE_ENDIAN);
      for (float[] r : rows) for (float v : r) b.putFloat(v);
      out.write(b.array());
    }));
    Safetensors.writeStreamed(file, t, Map.of());
  }
}
