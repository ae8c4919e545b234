package narrow.bench;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;

/**
 * What glibc's malloc has handed out and not had back ({@code mallinfo2()}: bytes in use in its
 * arenas plus its own mmapped blocks). libtorch's CPU tensors, JavaCPP's objects and the JVM's
 * native structures all live there, so a leak of any of them shows; what it leaves out is memory
 * freed but kept resident by the allocator (the launcher's settings keep all of it), such as the
 * tens of MiB the JIT compiler's arenas free after a late compilation, which resident memory
 * counts for the rest of the process's life.
 */
final class MallocInUse {
  private MallocInUse() {}

  /** Loaded once, on the first reading. */
  private static final class Holder {
    static final LibC LIBC = Native.load("c", LibC.class);
  }

  interface LibC extends Library {
    Info.ByValue mallinfo2();
  }

  /** glibc's {@code struct mallinfo2}: ten size_t fields. */
  @Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
      "fordblks", "keepcost"})
  public static class Info extends Structure {
    public long arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;

    public static class ByValue extends Info implements Structure.ByValue {}
  }

  /**
   * KiB in use, or -1 where glibc's malloc is not the one in use (jemalloc preloaded) or has no
   * {@code mallinfo2} (glibc before 2.33).
   */
  static long kib() {
    String preload = System.getenv("LD_PRELOAD");
    if (preload != null && preload.contains("jemalloc")) return -1;
    try {
      Info info = Holder.LIBC.mallinfo2();
      return (info.uordblks + info.hblkhd) / 1024;
    } catch (UnsatisfiedLinkError e) {
      return -1;
    }
  }
}
