package narrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import narrow.engine.NativeMemory;

/**
 * One benchmark side running in its own process ({@link TrainWorker} or {@link MaskWriteWorker}
 * in a child JVM, or {@code torch_train_reference.py --worker}), driven one command at a time: a
 * command is one line on its stdin, the answer the next stdout line that starts with
 * {@value #MARK}, followed by JSON. Other stdout lines (libraries' notices) are passed to stderr;
 * stderr is inherited. Commands: {@code steps N eager|sdpa} (wall seconds, CPU seconds, page
 * faults and loss of each step), {@code gemm M K N float32|bfloat16 R}, {@code memory},
 * {@code quit}; the mask writer's {@code write pt|safetensors|plain}.
 * Each side gets its own process so its allocator, its peak resident memory and its lifetime (how
 * much memory is held while others run) are its own.
 */
final class WorkerProcess implements AutoCloseable {
  static final String MARK = "@bench ";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Resident memory of the process in KiB; {@code heapKb}: the JVM's committed heap after a GC (0 in
   * Python); {@code mallocKb}: what glibc's malloc has handed out ({@link MallocInUse}), -1 unknown.
   */
  record Memory(long rssKb, long hwmKb, long heapKb, long mallocKb) {}

  private final String label;
  private final Process process;
  private final BufferedReader out;
  private final Writer in;
  private final JsonNode ready;

  private WorkerProcess(String label, Process process) throws IOException {
    this.label = label;
    this.process = process;
    this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    this.ready = answer();
  }

  /** Starts {@code command} with {@code env} changes applied and waits for its ready line. */
  static WorkerProcess start(String label, List<String> command, NativeAllocator allocator,
      Map<String, String> extraEnv) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    allocator.applyTo(pb.environment());
    pb.environment().putAll(extraEnv);
    Process p = pb.start();
    try {
      return new WorkerProcess(label, p);
    } catch (IOException | RuntimeException e) {
      p.destroyForcibly();
      throw e;
    }
  }

  /**
   * A child JVM running {@code main}: this JVM's java, options and class path, with its own heap
   * size, and without JavaCPP's caps on native memory (NativeMemory): with the default cap of
   * 4 x -Xmx a d768 step page-faulted 4.6 GB in again after every malloc_trim().
   */
  static List<String> javaCommand(String heap, Class<?> main, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      // a debugger's agent would clash on its port; the heap size is set below
      if (!arg.startsWith("-agentlib:jdwp") && !arg.startsWith("-Xmx")) cmd.add(arg);
    }
    cmd.addAll(NativeMemory.javacppOptions());
    cmd.addAll(List.of("-Xmx" + heap, "-cp", System.getProperty("java.class.path"), main.getName()));
    cmd.addAll(args);
    return cmd;
  }

  /** The worker's first answer: {@code engine}, {@code params}, {@code threads}, {@code kernels}, {@code bf16}. */
  JsonNode ready() {
    return ready;
  }

  String label() {
    return label;
  }

  JsonNode call(String command) throws IOException {
    in.write(command + "\n");
    in.flush();
    return answer();
  }

  /**
   * Wall seconds, process CPU seconds and minor page faults of each of a run of optimizer steps,
   * and each step's seconds in forward, backward and optimizer where the worker times them (else
   * no rows).
   */
  record Steps(double[] seconds, double[] cpuSeconds, double[] pageFaults, double[][] phases) {}

  /** {@code n} optimizer steps with attention {@code kernel}. */
  Steps steps(int n, String kernel) throws IOException {
    JsonNode j = call("steps " + n + " " + kernel);
    JsonNode p = j.path("phases");
    double[][] phases = new double[p.size()][];
    for (int i = 0; i < phases.length; i++) phases[i] = doubles(p.get(i));
    return new Steps(doubles(j.get("seconds")), doubles(j.get("cpu_seconds")), doubles(j.get("page_faults")),
        phases);
  }

  /** Seconds of {@code reps} timings of {@code linear(x[m,k], w[n,k])} in {@code dtype}. */
  double[] gemm(long m, long k, long n, String dtype, int reps) throws IOException {
    return doubles(call("gemm " + m + " " + k + " " + n + " " + dtype + " " + reps).get("seconds"));
  }

  Memory memory() throws IOException {
    JsonNode j = call("memory");
    return new Memory(j.get("rss_kb").asLong(), j.get("hwm_kb").asLong(), j.get("heap_kb").asLong(),
        j.path("malloc_kb").asLong(-1));
  }

  private JsonNode answer() throws IOException {
    for (String line; (line = out.readLine()) != null; ) {
      if (!line.startsWith(MARK)) {
        System.err.println("[" + label + "] " + line);
        continue;
      }
      JsonNode j = JSON.readTree(line.substring(MARK.length()));
      if (j.has("error")) throw new IOException(label + ": " + j.get("error").asText());
      return j;
    }
    int code;
    try {
      code = process.waitFor(10, TimeUnit.SECONDS) ? process.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      code = -1;
    }
    throw new IOException(label + ": worker ended (exit code " + code + ") before answering; its stderr is above");
  }

  private static double[] doubles(JsonNode array) {
    double[] d = new double[array.size()];
    for (int i = 0; i < d.length; i++) d[i] = array.get(i).asDouble();
    return d;
  }

  @Override
  public void close() {
    try {
      in.write("quit\n");
      in.flush();
      in.close();
      if (process.waitFor(60, TimeUnit.SECONDS)) return;
    } catch (IOException e) {
      // already gone: nothing to ask
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process.destroyForcibly();
  }
}
