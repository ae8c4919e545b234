package narrow.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The native memory settings are written once, in {@link NativeMemory#RESOURCE}: whoever starts a
 * JVM either reads that file (jobs/narrow through jobs/native-memory.sh, the benchmarks through
 * NativeMemory) or carries a copy that must stay equal to it (the pom's Surefire settings, which
 * Maven cannot read from a file offline; conf/spark/*.conf, which spark-submit reads on a cluster
 * where the sources are not).
 */
class NativeMemorySettingsTest {
  private static final Path SPARK_CONF = Path.of("conf", "spark");
  private static final Pattern ENV_LINE =
      Pattern.compile("^#?\\s*spark\\.(executorEnv|yarn\\.appMasterEnv)\\.(\\w+)(?:\\s*=\\s*|\\s+)(\\S+)\\s*$");
  private static final Pattern JAVA_OPTIONS_LINE =
      Pattern.compile("^spark\\.(driver|executor)\\.extraJavaOptions(?:\\s*=\\s*|\\s+)(.*)$");
  /**
   * Where each file's driver gets the allocator settings besides its executors: YARN's application
   * master; a standalone driver inherits spark-submit's environment (the jobs/ wrappers export them).
   */
  private static final Map<String, List<String>> ENV_GROUPS = Map.of(
      "local.conf", List.of("executorEnv", "yarn.appMasterEnv"),
      "standalone-cpu.conf", List.of("executorEnv"),
      "yarn-cpu.conf", List.of("executorEnv", "yarn.appMasterEnv"),
      "emr-gpu.conf", List.of("executorEnv", "yarn.appMasterEnv"),
      "dataproc-gpu.conf", List.of("executorEnv", "yarn.appMasterEnv"));

  @Test
  void theFileHoldsTheSettings() {
    assertEquals("1", NativeMemory.glibc().get("MALLOC_ARENA_MAX"));
    assertEquals(Map.of("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
        "MALLOC_CONF", "dirty_decay_ms:-1,muzzy_decay_ms:-1"), NativeMemory.jemalloc());
    assertTrue(NativeMemory.javacppOptions().contains("-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"));
  }

  @Test
  void theTestJvmStartsWithTheFilesSettings() {
    NativeMemory.glibc().forEach((name, value) -> assertEquals(value, System.getenv(name),
        name + " of " + NativeMemory.RESOURCE + " differs in this test JVM's environment: the pom's Surefire"
            + " <environmentVariables> must copy every glibc.* line of the file"));
    List<String> jvmArgs = ManagementFactory.getRuntimeMXBean().getInputArguments();
    for (String option : NativeMemory.javacppOptions()) {
      assertTrue(jvmArgs.contains(option), option + " is missing from Surefire's argLine (the pom's javacpp.memory.options): " + jvmArgs);
    }
  }

  @Test
  void theLauncherExportsTheFilesSettingsUnlessTheCallerSetThem() throws Exception {
    Map<String, String> expected = new TreeMap<>(NativeMemory.glibc());
    expected.put("MALLOC_ARENA_MAX", "4");
    Map<String, String> env = launcherEnvironment("glibc", Map.of("MALLOC_ARENA_MAX", "4"));
    expected.forEach((name, value) -> assertEquals(value, env.get(name), name));
    assertNull(env.get("MALLOC_CONF"));

    Map<String, String> none = launcherEnvironment("none", Map.of());
    NativeMemory.glibc().keySet().forEach(name -> assertNull(none.get(name), name));

    assertEquals(String.join(" ", NativeMemory.javacppOptions()),
        bash(". jobs/native-memory.sh && native_memory_javacpp_options", Map.of()).strip());
  }

  @Test
  void theSparkPropertyFilesCarryTheFilesValues() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(SPARK_CONF)) {
      files = s.filter(f -> f.toString().endsWith(".conf")).sorted().toList();
    }
    assertEquals(ENV_GROUPS.keySet().stream().sorted().toList(),
        files.stream().map(f -> f.getFileName().toString()).sorted().toList(),
        "conf/spark/ holds one property file per target, each listed here with its driver's settings");
    for (Path file : files) {
      Map<String, Map<String, String>> envs = new TreeMap<>();
      Map<String, String> javaOptions = new TreeMap<>();
      for (String line : Files.readAllLines(file)) {
        Matcher env = ENV_LINE.matcher(line);
        if (env.matches()) envs.computeIfAbsent(env.group(1), k -> new TreeMap<>()).put(env.group(2), env.group(3));
        Matcher java = JAVA_OPTIONS_LINE.matcher(line);
        if (java.matches()) javaOptions.put(java.group(1), java.group(2));
      }
      assertEquals(ENV_GROUPS.get(file.getFileName().toString()), new ArrayList<>(envs.keySet()),
          file + ": the native allocator settings for executors and the driver");
      envs.forEach((where, vars) -> assertEquals(NativeMemory.glibc(), vars, file + ": spark." + where
          + ".* differ from the glibc.* settings of src/main/resources/" + NativeMemory.RESOURCE));
      assertEquals(List.of("driver", "executor"), new ArrayList<>(javaOptions.keySet()), file.toString());
      javaOptions.forEach((who, options) -> assertEquals(NativeMemory.javacppOptions(),
          List.of(options.split("\\s+")).stream().filter(o -> o.startsWith("-Dorg.bytedeco.javacpp.max")).toList(),
          file + ": spark." + who + ".extraJavaOptions differ from javacpp.options of src/main/resources/"
              + NativeMemory.RESOURCE));
    }
  }

  /** The environment jobs/narrow hands to java for {@code NARROW_MALLOC=mode}, started from {@code callers}. */
  private static Map<String, String> launcherEnvironment(String mode, Map<String, String> callers)
      throws Exception {
    Map<String, String> env = new TreeMap<>();
    for (String line : bash(". jobs/native-memory.sh && native_memory_setup " + mode + " && env", callers)
        .split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) env.put(line.substring(0, eq), line.substring(eq + 1));
    }
    return env;
  }

  private static String bash(String script, Map<String, String> callers) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true);
    // the test JVM runs with the settings already: the launcher must be seen setting them itself
    pb.environment().keySet().removeIf(name -> name.startsWith("MALLOC_") || name.equals("LD_PRELOAD"));
    pb.environment().putAll(callers);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out;
  }
}
