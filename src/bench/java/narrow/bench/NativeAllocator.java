package narrow.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import narrow.engine.NativeMemory;
import narrow.util.UserError;

/**
 * How a benchmark's child process allocates native memory: the environment that picks and tunes
 * the allocator, applied to a {@link ProcessBuilder}'s environment before the process starts (an
 * allocator cannot be changed once a process runs). {@code jobs/narrow} sets the chosen one for
 * every run; these presets let {@code bench train --allocators} compare them side by side on
 * the real trainer.
 *
 * @param name what the benchmark calls it ({@code inherit} keeps the launcher's environment)
 * @param set variables set for the child; every other allocator variable is removed, except
 *     under {@code inherit}
 */
public record NativeAllocator(String name, Map<String, String> set) {
  /** Debian's libjemalloc2 (apt-get install libjemalloc2). */
  public static final String JEMALLOC_SO = NativeMemory.jemalloc().get("LD_PRELOAD");

  /** glibc malloc kept from handing large blocks back to the kernel, as jobs/narrow sets it. */
  public static final Map<String, String> GLIBC_TUNED = NativeMemory.glibc();

  /** jemalloc's settings for {@code NARROW_MALLOC=jemalloc}: freed pages are never purged. */
  public static final String JEMALLOC_CONF = NativeMemory.jemalloc().get("MALLOC_CONF");

  /** Every variable a preset may set; the others are cleared so that presets do not mix. */
  private static final Set<String> ALLOCATOR_VARIABLES = allocatorVariables();

  public static final NativeAllocator INHERIT = new NativeAllocator("inherit", Map.of());

  public NativeAllocator {
    set = Map.copyOf(set);
  }

  /**
   * A preset by name: {@code inherit} (the launcher's environment), {@code system} (glibc,
   * untuned), {@code glibc} (glibc tuned as {@link #GLIBC_TUNED}), {@code jemalloc} (preloaded,
   * {@link #JEMALLOC_CONF} unless {@code jemallocConf} is given), {@code jemalloc-default}
   * (preloaded, jemalloc's own defaults).
   */
  public static NativeAllocator named(String name, String jemallocConf) {
    return switch (name) {
      case "inherit" -> INHERIT;
      case "system" -> new NativeAllocator(name, Map.of());
      case "glibc" -> new NativeAllocator(name, GLIBC_TUNED);
      case "jemalloc" -> new NativeAllocator(name, Map.of("LD_PRELOAD", JEMALLOC_SO,
          "MALLOC_CONF", jemallocConf == null ? JEMALLOC_CONF : jemallocConf));
      case "jemalloc-default" -> new NativeAllocator(name, Map.of("LD_PRELOAD", JEMALLOC_SO));
      default -> throw new UserError("--allocators: unknown allocator '" + name
          + "' (inherit, system, glibc, jemalloc, jemalloc-default)");
    };
  }

  /** Whether this machine can run the preset: jemalloc's library must be there. */
  public boolean available() {
    String preload = set.get("LD_PRELOAD");
    return preload == null || Files.isReadable(Path.of(preload));
  }

  /** Puts this preset into a child's environment. */
  public void applyTo(Map<String, String> env) {
    if (name.equals("inherit")) return;
    ALLOCATOR_VARIABLES.forEach(env::remove);
    env.putAll(set);
  }

  private static Set<String> allocatorVariables() {
    Set<String> names = new TreeSet<>(GLIBC_TUNED.keySet());
    names.addAll(NativeMemory.jemalloc().keySet());
    return Set.copyOf(names);
  }

  /** The allocator an environment selects, in words, with its settings. */
  public static String describe(Map<String, String> env) {
    String preload = env.getOrDefault("LD_PRELOAD", "");
    StringBuilder s = new StringBuilder();
    if (preload.contains("jemalloc")) {
      s.append("jemalloc (").append(Files.isReadable(Path.of(preload.split("[ :]")[0])) ? "" : "MISSING ")
          .append("LD_PRELOAD=").append(preload);
      if (env.containsKey("MALLOC_CONF")) s.append(", MALLOC_CONF=").append(env.get("MALLOC_CONF"));
      s.append(")");
      return s.toString();
    }
    Map<String, String> tuned = new TreeMap<>();
    for (String k : GLIBC_TUNED.keySet()) if (env.containsKey(k)) tuned.put(k, env.get(k));
    s.append("glibc malloc");
    s.append(tuned.isEmpty() ? " (untuned)" : " " + tuned.toString().replace("{", "(").replace("}", ")"));
    return s.toString();
  }
}
