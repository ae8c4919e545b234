package narrow.prune;

import java.nio.file.Path;
import narrow.model.LlamaConfig;

/** Writes the mask files of a preset model's random selection: the child JVM of {@link MaskMemoryTest}. */
public final class WriteMaskMain {
  private WriteMaskMain() {}

  public static void main(String[] args) throws Exception {
    LlamaConfig c = LlamaConfig.preset(args[1]);
    MaskFiles.write(PruningMask.of(MaskMemoryTest.selection(c), c), Path.of(args[0]));
    System.out.println("written, heap max " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
  }
}
