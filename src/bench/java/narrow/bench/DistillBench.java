package narrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code bench distill}: the distillation loss and its gradient with respect to the student's
 * logits, fused ({@link narrow.engine.FusedDistillation}) beside the study's unfused form, on
 * random bf16 logits [rows, vocab]; each side in its own JVM ({@link DistillWorker}), rounds
 * interleaved, the best and the median time (the best: on a shared machine, the least disturbed), and each side's peak resident memory above its inputs
 * (the two logit tensors; the gradient and everything the loss makes count in the peak).
 */
final class DistillBench {
  private DistillBench() {}

  static final List<String> FORMS = List.of("fused", "unfused");

  record Side(String form, int threads, double bestSeconds, double medianSeconds, double peakAboveInputsMb, double combined, double kd,
      double teacherCe) {}

  static List<Side> run(long rows, long vocab, double temperature, double alpha, int rounds, String heap)
      throws IOException {
    List<WorkerProcess> workers = new ArrayList<>();
    try {
      for (String form : FORMS) {
        workers.add(WorkerProcess.start(form, WorkerProcess.javaCommand(heap, DistillWorker.class,
            List.of("form=" + form, "rows=" + rows, "vocab=" + vocab, "temperature=" + temperature,
                "alpha=" + alpha)), NativeAllocator.INHERIT, Map.of()));
      }
      List<List<Double>> seconds = new ArrayList<>();
      JsonNode[] last = new JsonNode[workers.size()];
      for (WorkerProcess w : workers) {
        w.call("step"); // warm-up: first-touch of the allocator's memory, lazy initialisation
        seconds.add(new ArrayList<>());
      }
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < workers.size(); i++) {
          last[i] = workers.get(i).call("step");
          seconds.get(i).add(last[i].get("seconds").asDouble());
        }
      }
      List<Side> sides = new ArrayList<>();
      for (int i = 0; i < workers.size(); i++) {
        WorkerProcess w = workers.get(i);
        long base = w.ready().get("rss_kb").asLong();
        long hwm = w.memory().hwmKb();
        sides.add(new Side(FORMS.get(i), w.ready().get("threads").asInt(),
            seconds.get(i).stream().mapToDouble(Double::doubleValue).min().orElseThrow(), TrainBench.median(seconds.get(i)), (hwm - base) / 1024.0,
            last[i].get("combined").asDouble(), last[i].get("kd").asDouble(), last[i].get("teacher_ce").asDouble()));
      }
      return sides;
    } finally {
      for (WorkerProcess w : workers) w.close();
    }
  }

  static String table(List<Side> sides, long rows, long vocab) {
    StringBuilder s = new StringBuilder();
    s.append(String.format("distillation loss + gradient, bf16 logits [%d, %d] (one such tensor: %.0f MB), "
        + "%d torch threads%n", rows, vocab, rows * vocab * 2 / 1048576.0, sides.get(0).threads()));
    s.append(String.format("%-8s %8s %10s %22s %12s %12s %12s%n", "form", "best s", "median s", "peak above inputs MB",
        "combined", "kd", "teacher CE"));
    for (Side side : sides) {
      s.append(String.format("%-8s %8.3f %10.3f %22.0f %12.6f %12.6f %12.6f%n", side.form(), side.bestSeconds(),
          side.medianSeconds(),
          side.peakAboveInputsMb(), side.combined(), side.kd(), side.teacherCe()));
    }
    return s.toString();
  }
}
