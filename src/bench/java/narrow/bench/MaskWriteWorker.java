package narrow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import narrow.model.LlamaConfig;
import narrow.prune.MaskFiles;
import narrow.prune.PruningMask;
import narrow.prune.PruningSelection;
import narrow.prune.RandomPruning;

/**
 * The mask-writing side of {@link PruneBench}, in a child JVM with a small heap: on command it
 * writes {@code pruning_mask.pt} or {@code pruning_mask.safetensors} through the real
 * {@link MaskFiles}, or the mask's number of bytes as a plain sequential write of zeros through
 * the same kind of stream, in the line protocol of {@link WorkerProcess}. The mask is of a
 * random selection (seed 0, without replacement): the files' size and the writer's work do not
 * depend on which entries are zero.
 *
 * <pre>java -Xmx256m ... narrow.bench.MaskWriteWorker model=llama-3.2-1b neuron_sparsity=0.5 residual_sparsity=0.5 dir=DIR</pre>
 *
 * Commands: {@code write pt|safetensors|plain} (seconds, bytes, the heap's peak during the write,
 * collections), {@code memory}, {@code quit}. Every write ends with an fsync inside its time, so
 * all three are timed to the disk, not to the page cache; the file is deleted after it is timed.
 */
public final class MaskWriteWorker {
  private static final ObjectMapper JSON = new ObjectMapper();
  /**
   * The plain write's stream: the mask writers' own (a 64 KiB BufferedOutputStream over
   * Files.newOutputStream, a FileChannel underneath), fed rows of zeros, so that the comparison
   * isolates what generating the mask costs. The size of each write() matters here: on this VM's
   * ext4, 1 MiB writes of zeros reached 0.43-0.49 GB/s where 64 KiB and 8 KiB writes of the same
   * zeros reached 1.6-1.9 GB/s, fsync included.
   */
  private static final int PLAIN_BUFFER = 1 << 16;
  private static final int PLAIN_ROW = 8192;

  private MaskWriteWorker() {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = WorkerLoop.arguments(argv);
    PrintStream protocol = TrainWorker.takeStdout();
    LlamaConfig c = PruneBenchOptions.maskConfig(a.get("model"));
    PruningSelection selection = RandomPruning.draw(c.numHiddenLayers(), c.intermediateSize(), c.hiddenSize(),
        Double.parseDouble(a.get("neuron_sparsity")), Double.parseDouble(a.get("residual_sparsity")), 0, false);
    PruningMask mask = PruningMask.of(selection, c);
    Path dir = Path.of(a.get("dir"));
    ObjectNode ready = JSON.createObjectNode().put("ready", true).put("numel", mask.numel())
        .put("pruned_neurons", selection.neurons().size()).put("total_neurons", selection.totalNeurons())
        .put("pruned_residuals", selection.residuals().size()).put("total_residuals", selection.totalResiduals())
        .put("heap_max_bytes", Runtime.getRuntime().maxMemory());
    WorkerLoop.reply(protocol, ready);

    WorkerLoop.serve(protocol, (w, answer) -> {
      if (w[0].equals("write")) write(w[1], mask, dir, answer);
      else WorkerLoop.unknown(w, answer);
    });
  }

  private static void write(String kind, PruningMask mask, Path dir, ObjectNode answer) throws IOException {
    Path file = dir.resolve(switch (kind) {
      case "pt" -> MaskFiles.TORCH_FILE;
      case "safetensors" -> MaskFiles.SAFETENSORS_FILE;
      case "plain" -> "plain-write.bin";
      default -> throw new IllegalArgumentException("write pt|safetensors|plain, got " + kind);
    });
    // what the heap holds before the write is the mask's index lists; the peak from here is the write's
    System.gc();
    long before = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    long[] gc0 = collections();
    long t0 = System.nanoTime();
    try {
      switch (kind) {
        case "pt" -> MaskFiles.writeTorch(mask, file);
        case "safetensors" -> MaskFiles.writeSafetensors(mask, file);
        default -> plainWrite(file, mask.numel() * 4);
      }
      long written = System.nanoTime();
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      answer.put("fsync_seconds", (System.nanoTime() - written) / 1e9);
      long[] gc1 = collections();
      answer.put("seconds", seconds).put("bytes", Files.size(file)).put("heap_before_bytes", before)
          .put("heap_peak_bytes", heapPeak())
          .put("gc_count", gc1[0] - gc0[0]).put("gc_ms", gc1[1] - gc0[1]);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** {@code bytes} zeros, sequentially, in rows as the mask's (forced to the disk by the caller, as the files). */
  static void plainWrite(Path file, long bytes) throws IOException {
    byte[] row = new byte[PLAIN_ROW];
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), PLAIN_BUFFER)) {
      for (long left = bytes; left > 0; left -= row.length) out.write(row, 0, (int) Math.min(row.length, left));
    }
  }

  /**
   * The heap's peak since the last reset: the sum of each heap pool's own peak (eden, survivor,
   * old), an upper bound of the whole heap's, since the pools need not peak at the same moment.
   */
  static long heapPeak() {
    long sum = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) sum += p.getPeakUsage().getUsed();
    }
    return sum;
  }

  /** {collections, milliseconds} of every collector so far. */
  private static long[] collections() {
    long count = 0;
    long ms = 0;
    for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
      count += Math.max(0, g.getCollectionCount());
      ms += Math.max(0, g.getCollectionTime());
    }
    return new long[] {count, ms};
  }
}
