package narrow.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the garbage collector, then fills fresh direct buffers with NaN: Java memory that
 * unreachable buffers gave up is freed and, as the allocator hands it out again, now holds NaN. Done between forward and backward, anything backward still reads from such memory
 * shows up in the gradients. Keep the result alive until backward has run.
 */
public final class FreedMemoryPoison {
  private FreedMemoryPoison() {}

  /** @param sizes byte sizes of the allocations to refill (scalars: 4; a table: its bytes) */
  public static List<ByteBuffer> spread(int... sizes) throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50); // the Cleaner thread frees the buffers after the GC
    }
    List<ByteBuffer> held = new ArrayList<>();
    for (int size : sizes) {
      for (int i = 0; i < 1000; i++) {
        ByteBuffer b = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
        while (b.remaining() >= Float.BYTES) b.putFloat(Float.NaN);
        held.add(b);
      }
    }
    return held;
  }
}
