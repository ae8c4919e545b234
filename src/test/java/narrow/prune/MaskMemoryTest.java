package narrow.prune;

import static org.junit.jupiter.api.Assertions.*;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import narrow.model.LlamaConfig;
import narrow.model.io.Safetensors;
import narrow.model.io.SafetensorsHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mask files are streamed: a JVM with a 64 MiB heap writes the mask of a model whose float32
 * mask is 560 MB (d512_l2_h8: a 128,256-token vocabulary, untied), both files, and a few entries
 * read back are the mask's.
 */
class MaskMemoryTest {
  static final String PRESET = "d512_l2_h8";
  static final int HEAP_MB = 64;

  @TempDir Path tmp;

  static PruningSelection selection(LlamaConfig c) {
    return RandomPruning.draw(c.numHiddenLayers(), c.intermediateSize(), c.hiddenSize(), 0.5, 0.5, 1, false);
  }

  @Test
  void aHeapFarSmallerThanTheMaskWritesIt() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + HEAP_MB + "m",
        "-cp", System.getProperty("java.class.path"), WriteMaskMain.class.getName(), tmp.toString(), PRESET));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "timed out:\n" + out);
    assertEquals(0, p.exitValue(), out);

    LlamaConfig c = LlamaConfig.preset(PRESET);
    PruningMask mask = PruningMask.of(selection(c), c);
    Path pt = tmp.resolve(MaskFiles.TORCH_FILE);
    Path st = tmp.resolve(MaskFiles.SAFETENSORS_FILE);
    assertTrue(Files.size(pt) > 8L * HEAP_MB << 20, "the mask is over 8 heaps: " + Files.size(pt));
    assertTrue(Files.size(st) >= mask.numel() * 4);

    MaskedParameter embed = mask.parameters().get(0);
    MaskedParameter down = mask.parameters().get(7);
    assertEquals("model.layers.0.mlp.down_proj.weight", down.name());
    try (ZipFile z = new ZipFile(pt.toFile())) {
      assertRows(embed, z.getInputStream(z.getEntry("archive/data/0")), 0, 3);
      assertRows(embed, skip(z.getInputStream(z.getEntry("archive/data/0")), 128000L * 512 * 4), 128000, 3);
      assertRows(down, z.getInputStream(z.getEntry("archive/data/7")), 0, 512);
    }
    SafetensorsHeader header = Safetensors.readHeader(st);
    try (FileChannel ch = FileChannel.open(st)) {
      for (MaskedParameter m : List.of(embed, down, mask.parameters().get(mask.parameters().size() - 1))) {
        SafetensorsHeader.TensorInfo t = header.tensors().get(m.name());
        long cols = m.shape()[1];
        ByteBuffer b = ByteBuffer.allocate((int) (cols * 4 * 2)).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(b, header.dataStart() + t.begin());
        b.flip();
        for (int i = 0; i < cols * 2; i++) assertEquals(m.valueAt(i / cols, i % cols), b.getFloat(), m.name());
      }
    }
    System.out.println("-Xmx" + HEAP_MB + "m wrote a mask of " + (Files.size(pt) >> 20) + " MiB (.pt) and "
        + (Files.size(st) >> 20) + " MiB (.safetensors): " + out.strip());
  }

  private static InputStream skip(InputStream in, long n) throws Exception {
    in.skipNBytes(n);
    return in;
  }

  private static void assertRows(MaskedParameter m, InputStream in, long firstRow, int rows) throws Exception {
    try (in) {
      long cols = m.shape()[1];
      ByteBuffer b = ByteBuffer.wrap(in.readNBytes((int) (cols * 4 * rows))).order(ByteOrder.LITTLE_ENDIAN);
      for (long i = 0; i < cols * rows; i++) {
        assertEquals(m.valueAt(firstRow + i / cols, i % cols), b.getFloat(), m.name() + " element " + i);
      }
    }
  }
}
