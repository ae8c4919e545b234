package narrow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The worker side of {@link WorkerProcess}'s protocol, for every bench worker: one command a line
 * on stdin, one JSON answer a line on stdout (marked), {@code quit} or end of input to stop. A
 * command that fails answers {@code {"error": …}} and the worker goes on.
 */
final class WorkerLoop {
  private WorkerLoop() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** What a worker does for one command: {@code words[0]} names it; fills {@code answer}. */
  interface Commands {
    void run(String[] words, ObjectNode answer) throws IOException;
  }

  /** Answers commands until {@code quit} or the end of stdin; {@code memory} is every worker's. */
  static void serve(PrintStream protocol, Commands commands) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      String[] words = line.trim().split("\\s+");
      if (words[0].isEmpty()) continue;
      if (words[0].equals("quit")) return;
      ObjectNode answer = JSON.createObjectNode();
      try {
        if (words[0].equals("memory")) TrainWorker.putMemory(answer);
        else commands.run(words, answer);
      } catch (RuntimeException | IOException e) {
        answer.removeAll().put("error", e.toString());
      }
      reply(protocol, answer);
    }
  }

  /** A worker's {@code key=value} arguments, from the benchmark that starts it; anything else is an error. */
  static Map<String, String> arguments(String[] argv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String arg : argv) {
      int eq = arg.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("argument '" + arg + "' is not key=value");
      m.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    return m;
  }

  /** The answer "unknown command" for a command a worker does not have. */
  static void unknown(String[] words, ObjectNode answer) {
    answer.put("error", "unknown command " + words[0]);
  }

  static void reply(PrintStream protocol, ObjectNode answer) throws IOException {
    protocol.println(WorkerProcess.MARK + JSON.writeValueAsString(answer));
  }
}
