package narrow.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a step's native memory goes: a thread reads {@link MallocInUse} every
 * {@link #PERIOD_MICROS} µs while the step runs, and the step's own thread marks where each part
 * of it ends ({@link #mark}). Each part reports what was in use when it ended and the most in use
 * during it, so the peak of a whole step is found in the part that made it, and what each part
 * leaves alive (a graph, a logits tensor) in the reading at its end. The readings cost CPU, so a
 * probed step is never a timed one.
 */
final class MemoryPhases implements AutoCloseable {
  static final long PERIOD_MICROS = 500;

  /**
   * One part of the step: in use at its end and the most in use during it, KiB of malloc; and the
   * process's resident KiB at its end (what the allocator holds, freed or not).
   */
  record Phase(String name, long endKb, long peakKb, long residentKb) {}

  private final List<Phase> phases = new ArrayList<>();
  private final Thread sampler;
  private volatile boolean running = true;
  private volatile long peakKb;

  MemoryPhases() {
    peakKb = MallocInUse.kib();
    sampler = new Thread(this::sample, "memory-phases");
    sampler.setDaemon(true);
    sampler.start();
  }

  /** Whether this process can be probed (glibc's malloc with {@code mallinfo2}). */
  static boolean available() {
    return MallocInUse.kib() >= 0;
  }

  private void sample() {
    while (running) {
      raise(MallocInUse.kib());
      java.util.concurrent.locks.LockSupport.parkNanos(PERIOD_MICROS * 1000);
    }
  }

  private synchronized void raise(long kb) {
    if (kb > peakKb) peakKb = kb;
  }

  /** Ends the part called {@code name} here; the next part starts from what is in use now. */
  synchronized void mark(String name) {
    long now = MallocInUse.kib();
    phases.add(new Phase(name, now, Math.max(peakKb, now), resident()));
    peakKb = now;
  }

  private static long resident() {
    try {
      return TrainWorker.procStatusKb("VmRSS");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  List<Phase> phases() {
    return List.copyOf(phases);
  }

  /** The parts as JSON: name, end_kb, peak_kb, resident_kb. */
  void putInto(ArrayNode out) {
    for (Phase p : phases()) {
      out.addObject().put("name", p.name()).put("end_kb", p.endKb()).put("peak_kb", p.peakKb())
          .put("resident_kb", p.residentKb());
    }
  }

  @Override
  public void close() {
    running = false;
    try {
      sampler.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
