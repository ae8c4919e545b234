package narrow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import narrow.distill.DistillSettings;
import narrow.distill.Teacher;
import narrow.engine.Autocast;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.engine.Torch;
import narrow.model.ComputeDevice;
import narrow.model.LlamaConfig;
import narrow.train.ModelSource;
import narrow.train.Objective;
import narrow.train.TrainRun;
import narrow.train.Trainer;
import narrow.train.TrainingHooks;
import org.bytedeco.pytorch.Tensor;

/**
 * One side of {@link DistillStepBench} in a child JVM, so that its peak resident memory is its own:
 * {@code side=teacher}, the teacher alone ({@code forward}: its logits as {@link Teacher} computes
 * them, under the step's autocast); {@code side=fused} or {@code unfused}, a {@link Trainer} on the student whose
 * objective is switched between plain training ({@code student}) and distillation
 * ({@code distill}): narrow's fused objective, or the study's form ({@link UnfusedDistillation}).
 *
 * <pre>java ... narrow.bench.DistillStepWorker side=fused student=d256_l4_h4 teacher=DIR batch=1 seq=512 bf16=true temperature=2 alpha=0.5</pre>
 *
 * The ready answer carries the memory before any model ({@code baseline}), from which the side's
 * peak is counted.
 */
public final class DistillStepWorker {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> SIDES = List.of("teacher", "fused", "unfused");

  private DistillStepWorker() {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = WorkerLoop.arguments(argv);
    PrintStream protocol = TrainWorker.takeStdout();
    String side = a.get("side");
    if (!SIDES.contains(side)) throw new IllegalArgumentException("side must be one of " + SIDES + ", got " + side);
    Path teacherDir = Path.of(a.get("teacher"));
    int batch = Integer.parseInt(a.get("batch"));
    int seq = Integer.parseInt(a.get("seq"));
    boolean bf16 = Boolean.parseBoolean(a.get("bf16"));
    ObjectNode ready = JSON.createObjectNode().put("ready", true).put("side", side).put("threads", Torch.threads());
    TrainWorker.putMemory(ready.putObject("baseline"));
    if (side.equals("teacher")) {
      Device device = ComputeDevice.choose(true);
      boolean autocast = bf16; // as the trainer takes bf16=true: set, not decided by the CPU
      try (Teacher teacher = Teacher.load(teacherDir, device, autocast)) {
        Tensor ids = randomIds(teacher.model().config().vocabSize(), batch, seq, device);
        ready.put("bf16", autocast)
            .put("attention", teacher.model().attention().name().toLowerCase(Locale.ROOT));
        WorkerLoop.reply(protocol, ready);
        WorkerLoop.serve(protocol, (w, answer) -> {
          switch (w[0]) {
            case "forward" -> answer.put("seconds", forward(teacher, ids, autocast));
            case "probe" -> {
              try (MemoryPhases probe = new MemoryPhases()) {
                probe.mark("before");
                forward(teacher, ids, autocast, probe);
                probe.mark("logits freed");
                probe.putInto(answer.putArray("phases"));
              }
            }
            default -> WorkerLoop.unknown(w, answer);
          }
        });
      }
      return;
    }
    double temperature = Double.parseDouble(a.get("temperature"));
    double alpha = Double.parseDouble(a.get("alpha"));
    Objective distillation = side.equals("fused")
        ? new DistillSettings(teacherDir.toString(), temperature, alpha, 0.999).objective()
        : new UnfusedDistillation(teacherDir, temperature, alpha);
    SwitchedObjective objective = new SwitchedObjective(distillation);
    Path dir = Files.createTempDirectory("distillstepworker");
    try {
      LlamaConfig student = LlamaConfig.preset(a.get("student"));
      Path data = TrainWorker.syntheticDataset(dir.resolve("data"), student.vocabSize(), seq, 8 * batch, 1);
      TrainRun run = TrainRun.of(new ModelSource.Fresh(student, 0), data,
          TrainWorker.benchArgs(dir.resolve("out"), seq, batch, bf16))
          .withHooks(TrainingHooks.none().withObjective(objective));
      try (Trainer trainer = Trainer.open(run)) {
        ready.put("bf16", trainer.bf16()).put("attention", trainer.model().attention().name().toLowerCase(Locale.ROOT));
        WorkerLoop.reply(protocol, ready);
        WorkerLoop.serve(protocol, (w, answer) -> {
          switch (w[0]) {
            case "student", "distill" -> {
              objective.enable(w[0].equals("distill"));
              objective.startStep();
              Trainer.StepStats step = trainer.step();
              answer.put("seconds", step.seconds()).put("loss_seconds", objective.lastLossSeconds())
                  .put("loss", step.loss());
            }
            case "probe-student", "probe-distill" -> {
              objective.enable(w[0].equals("probe-distill"));
              try (MemoryPhases probe = new MemoryPhases()) {
                objective.probe(probe);
                probe.mark("before");
                trainer.step();
                probe.mark("backward and optimizer");
                probe.putInto(answer.putArray("phases"));
              } finally {
                objective.probe(null);
              }
            }
            default -> WorkerLoop.unknown(w, answer);
          }
        });
      }
    } finally {
      narrow.util.LocalFolders.deleteRecursively(dir);
    }
  }

  /** Ids as the synthetic data's (uniform over the vocabulary): the speed does not depend on them. */
  private static Tensor randomIds(int vocab, int batch, int seq, Device device) {
    SplittableRandom random = new SplittableRandom(1);
    long[] ids = new long[batch * seq];
    for (int i = 0; i < ids.length; i++) ids[i] = random.nextInt(vocab);
    return Tensors.longs(ids, device, batch, seq);
  }

  /** Seconds of the teacher's logits as the distillation step takes them: inference mode, the step's autocast. */
  private static double forward(Teacher teacher, Tensor ids, boolean bf16) {
    return forward(teacher, ids, bf16, null);
  }

  /** As above; {@code probe}, when given, marks the forward's end while its logits are alive. */
  private static double forward(Teacher teacher, Tensor ids, boolean bf16, MemoryPhases probe) {
    try (TensorScope scope = new TensorScope();
        Autocast autocast = Autocast.bf16If(bf16, teacher.model().device())) {
      long t0 = System.nanoTime();
      Tensor logits = teacher.logits(ids);
      // reading one value waits for a GPU's queue, as the trainer's step does on its loss
      Tensors.value(logits.flatten().select(0, 0));
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (probe != null) probe.mark("teacher forward (its logits alive)");
      return seconds;
    }
  }
}
