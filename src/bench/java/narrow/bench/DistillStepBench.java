package narrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import narrow.engine.DType;
import narrow.model.LlamaConfig;
import narrow.model.LlamaForCausalLM;

/**
 * {@code bench distill-step}: a whole distillation step against the goal, (c) ≤ (a) +
 * 1.15 × (b): (a) the student's plain training step, (b) the teacher's forward alone (no graph,
 * the step's autocast), (c) the distillation step with narrow's fused objective, and beside them
 * (d) the step with the study's unfused form. Three JVMs ({@link DistillStepWorker}): the teacher
 * alone, and one trainer each for the fused and the study's form, switched between (a) and its
 * distillation step, so each peak of resident memory is its own; rounds interleaved, medians.
 *
 * <pre>jobs/narrow bench distill-step [--student d256_l4_h4] [--teacher d768_l12_h12] [--batch 1] [--seq 512] ...</pre>
 */
public final class DistillStepBench {
  private DistillStepBench() {}

  public static DistillStepReport run(DistillStepOptions o, Consumer<String> log) throws IOException {
    long start = System.nanoTime();
    String loadBefore = TrainBench.loadAverage();
    Path dir = Files.createTempDirectory("distillstep");
    try {
      Path teacher = dir.resolve("teacher");
      // in the dtype it is held in, as Llama checkpoints come in bf16: a float32 file would add each
      // tensor's float32 read, before its conversion, to the resident peak of loading
      DType dtype = o.bf16() ? DType.BF16 : DType.F32;
      log.accept("saving a fresh " + o.teacher() + " teacher (" + dtype.torchName() + ") ...");
      try (LlamaForCausalLM t = LlamaForCausalLM.init(o.teacherConfig(), 0)) {
        t.save(teacher, dtype);
      }
      List<WorkerProcess> workers = new ArrayList<>();
      try {
        for (String side : DistillStepWorker.SIDES) {
          workers.add(WorkerProcess.start(side, WorkerProcess.javaCommand(o.workerHeap(), DistillStepWorker.class,
              List.of("side=" + side, "student=" + o.student(), "teacher=" + teacher, "batch=" + o.batch(),
                  "seq=" + o.seq(), "bf16=" + o.bf16(), "temperature=" + o.temperature(), "alpha=" + o.alpha())),
              NativeAllocator.INHERIT, Map.of()));
        }
        return measure(o, workers.get(0), workers.get(1), workers.get(2), log, loadBefore, start);
      } finally {
        for (WorkerProcess w : workers) w.close();
      }
    } finally {
      narrow.util.LocalFolders.deleteRecursively(dir);
    }
  }

  private static DistillStepReport measure(DistillStepOptions o, WorkerProcess teacher, WorkerProcess fused,
      WorkerProcess unfused, Consumer<String> log, String loadBefore, long start) throws IOException {
    log.accept("warm-up: the teacher's forward, then each trainer's plain step and its distillation step");
    teacher.call("forward");
    Side fusedSide = new Side(fused);
    Side unfusedSide = new Side(unfused);
    Map<String, List<MemoryPhases.Phase>> probes = new java.util.LinkedHashMap<>();
    // the first distillation step is probed: where the resident memory grows (it never shrinks)
    if (MemoryPhases.available()) {
      probes.put("(c) first fused distillation step (warm-up)", fusedSide.warmUp(true));
      probes.put("(d) first step of the study's form (warm-up)", unfusedSide.warmUp(true));
    } else {
      fusedSide.warmUp(false);
      unfusedSide.warmUp(false);
    }
    // resident memory never goes down here (the allocator keeps what it freed): a peak already
    // reached while loading the teacher is not the steps'
    log.accept(String.format(java.util.Locale.ROOT, "peak after the warm-up (teacher loaded, one step of each): "
        + "fused side %.0f MB, study's side %.0f MB", peakAboveBaselineKb(fused) / 1024.0,
        peakAboveBaselineKb(unfused) / 1024.0));
    List<Double> forward = new ArrayList<>();
    for (int round = 1; round <= o.rounds(); round++) {
      forward.add(teacher.call("forward").get("seconds").asDouble());
      // alternate which step goes first, so neither always follows the other's passes over memory
      boolean distillFirst = round % 2 == 0;
      fusedSide.round(distillFirst);
      unfusedSide.round(distillFirst);
      log.accept(String.format(java.util.Locale.ROOT, "round %d/%d: teacher forward %.3f s; fused: student %.3f s, "
          + "distill %.3f s; study's form: student %.3f s, distill %.3f s", round, o.rounds(),
          forward.get(round - 1), fusedSide.last(fusedSide.student), fusedSide.last(fusedSide.distill),
          unfusedSide.last(unfusedSide.student), unfusedSide.last(unfusedSide.distill)));
    }
    log.accept("probing one step of each kind for native memory by part (untimed)");
    if (MemoryPhases.available()) {
      probes.put("teacher forward alone", probe(teacher, "probe"));
      probes.put("student step (fused side)", probe(fused, "probe-student"));
      probes.put("(c) fused distillation step", probe(fused, "probe-distill"));
      probes.put("(d) study's form", probe(unfused, "probe-distill"));
    }
    for (WorkerProcess w : List.of(teacher, fused, unfused)) log.accept(residentParts(w));
    JsonNode ready = fused.ready();
    String engine = String.format(java.util.Locale.ROOT, "%d torch threads, %s attention, bf16 autocast %s",
        ready.get("threads").asInt(), ready.get("attention").asText(), ready.get("bf16").asBoolean() ? "on" : "off");
    return new DistillStepReport(o, TrainBench.machine(loadBefore), engine, params(o.studentConfig()),
        params(o.teacherConfig()), toArray(forward), peakAboveBaselineKb(teacher), fusedSide.result(),
        unfusedSide.result(), probes, (System.nanoTime() - start) / 60e9);
  }

  /** Where a JVM's resident memory is at the end, above its baseline: what malloc holds and the Java heap. */
  private static String residentParts(WorkerProcess w) throws IOException {
    JsonNode base = w.ready().get("baseline");
    WorkerProcess.Memory m = w.memory();
    return String.format(java.util.Locale.ROOT, "%s JVM at the end, MB above its baseline: resident %.0f (peak %.0f), "
        + "malloc in use %.0f, Java heap committed %.0f", w.ready().get("side").asText(),
        (m.rssKb() - base.get("rss_kb").asLong()) / 1024.0, (m.hwmKb() - base.get("rss_kb").asLong()) / 1024.0,
        (m.mallocKb() - base.get("malloc_kb").asLong()) / 1024.0, (m.heapKb() - base.get("heap_kb").asLong()) / 1024.0);
  }

  /** One probed step's parts, KiB of malloc above what the JVM held before any model. */
  private static List<MemoryPhases.Phase> probe(WorkerProcess w, String command) throws IOException {
    long baseline = w.ready().get("baseline").get("malloc_kb").asLong();
    long residentBaseline = w.ready().get("baseline").get("rss_kb").asLong();
    List<MemoryPhases.Phase> out = new ArrayList<>();
    for (JsonNode p : w.call(command).get("phases")) {
      out.add(new MemoryPhases.Phase(p.get("name").asText(), p.get("end_kb").asLong() - baseline,
          p.get("peak_kb").asLong() - baseline, p.get("resident_kb").asLong() - residentBaseline));
    }
    return out;
  }

  /** One trainer's JVM: its plain and distillation steps, and its peaks after plain steps only and in all. */
  private static final class Side {
    final WorkerProcess worker;
    final List<Double> student = new ArrayList<>();
    final List<Double> distill = new ArrayList<>();
    final List<Double> studentLoss = new ArrayList<>();
    final List<Double> distillLoss = new ArrayList<>();
    long studentPeakKb;

    Side(WorkerProcess worker) {
      this.worker = worker;
    }

    /**
     * A plain step first, so the peak read then is the student's training alone beside the loaded
     * teacher; then a distillation step, probed when {@code probe} (its parts, else null).
     */
    List<MemoryPhases.Phase> warmUp(boolean probe) throws IOException {
      worker.call("student");
      studentPeakKb = peakAboveBaselineKb(worker);
      if (probe) return probe(worker, "probe-distill");
      worker.call("distill");
      return null;
    }

    void round(boolean distillFirst) throws IOException {
      for (String step : distillFirst ? List.of("distill", "student") : List.of("student", "distill")) {
        JsonNode answer = worker.call(step);
        (step.equals("distill") ? distill : student).add(answer.get("seconds").asDouble());
        (step.equals("distill") ? distillLoss : studentLoss).add(answer.get("loss_seconds").asDouble());
      }
    }

    double last(List<Double> xs) {
      return xs.get(xs.size() - 1);
    }

    DistillStepReport.Trainer result() throws IOException {
      return new DistillStepReport.Trainer(toArray(student), toArray(distill), toArray(studentLoss),
          toArray(distillLoss), studentPeakKb, peakAboveBaselineKb(worker));
    }
  }

  /** The process's peak resident memory above what it held before any model. */
  private static long peakAboveBaselineKb(WorkerProcess w) throws IOException {
    return w.memory().hwmKb() - w.ready().get("baseline").get("rss_kb").asLong();
  }

  /** Parameters of a model of {@code config}, counted from their shapes without making it. */
  static long params(LlamaConfig config) {
    return LlamaForCausalLM.parameterShapes(config).values().stream()
        .mapToLong(s -> java.util.Arrays.stream(s).reduce(1, (x, y) -> x * y)).sum();
  }

  private static double[] toArray(List<Double> xs) {
    return xs.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
