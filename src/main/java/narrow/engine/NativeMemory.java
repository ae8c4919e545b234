package narrow.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The native memory settings every narrow JVM starts with, as written once in the resource
 * {@code narrow/native-memory.properties} (why each value: the comments there). They act only when a
 * process starts (an allocator reads its environment once), so they are for whoever starts a JVM:
 * jobs/narrow and the pom read the same file themselves; the benchmarks' child JVMs take them from here.
 */
public final class NativeMemory {
  /** The resource's path on the class path, and under {@code src/main/resources} in the sources. */
  public static final String RESOURCE = "narrow/native-memory.properties";

  private static final Properties SETTINGS = load();

  private NativeMemory() {}

  /** glibc malloc's environment variables, kept from handing memory back to the kernel. */
  public static Map<String, String> glibc() {
    return group("glibc.");
  }

  /** The jemalloc set-up's environment variables ({@code LD_PRELOAD}, {@code MALLOC_CONF}). */
  public static Map<String, String> jemalloc() {
    return group("jemalloc.");
  }

  /** The JVM options that lift JavaCPP's caps on native memory. */
  public static List<String> javacppOptions() {
    return Arrays.asList(SETTINGS.getProperty("javacpp.options").trim().split("\\s+"));
  }

  private static Map<String, String> group(String prefix) {
    Map<String, String> vars = new TreeMap<>();
    for (String key : SETTINGS.stringPropertyNames()) {
      if (key.startsWith(prefix)) vars.put(key.substring(prefix.length()), SETTINGS.getProperty(key));
    }
    return Collections.unmodifiableMap(vars);
  }

  private static Properties load() {
    try (InputStream in = NativeMemory.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) throw new IllegalStateException(RESOURCE + " is not on the class path");
      Properties p = new Properties();
      p.load(in);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(RESOURCE, e);
    }
  }
}
