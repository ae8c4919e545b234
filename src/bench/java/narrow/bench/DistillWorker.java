package narrow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import narrow.engine.Autograd;
import narrow.engine.FusedDistillation;
import narrow.engine.Ops;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.engine.Torch;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * One side of {@link DistillBench} in a child JVM, so that its peak resident memory is its own:
 * random student and teacher logits [rows, vocab] in bf16 and labels (one in 16 ignored), then on
 * {@code step} one distillation loss with its gradient with respect to the student's logits,
 * either {@code fused} ({@link FusedDistillation#lossAndGradient}) or {@code unfused} (the study's
 * form, {@link FusedDistillation#unfused}, back-propagated by autograd into the logits).
 *
 * <pre>java ... narrow.bench.DistillWorker form=fused|unfused rows=1024 vocab=128256 temperature=2 alpha=0.5</pre>
 *
 * Commands: {@code step} (seconds, combined, kd), {@code memory}, {@code quit}. The ready answer
 * carries the memory with the inputs in place, the baseline of the side's peak.
 */
public final class DistillWorker {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long IGNORE = -100;

  private DistillWorker() {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = WorkerLoop.arguments(argv);
    PrintStream protocol = TrainWorker.takeStdout();
    String form = a.get("form");
    if (!form.equals("fused") && !form.equals("unfused")) {
      throw new IllegalArgumentException("form must be fused or unfused, got " + form);
    }
    long rows = Long.parseLong(a.get("rows"));
    long vocab = Long.parseLong(a.get("vocab"));
    FusedDistillation.Weights weights = new FusedDistillation.Weights(
        Double.parseDouble(a.get("temperature")), Double.parseDouble(a.get("alpha")));
    torch.manual_seed(0);
    Tensor student = logits(rows, vocab);
    Tensor teacher = logits(rows, vocab);
    SplittableRandom random = new SplittableRandom(0);
    long[] labelValues = new long[(int) rows];
    for (int i = 0; i < labelValues.length; i++) labelValues[i] = i % 16 == 0 ? IGNORE : random.nextLong(vocab);
    Tensor labels = Tensors.longs(labelValues, rows);
    Tensor distilled = Ops.notEqual(labels, IGNORE);
    if (form.equals("unfused")) Autograd.requireGradients(List.of(student));

    ObjectNode ready = JSON.createObjectNode().put("ready", true).put("form", form).put("threads", Torch.threads());
    TrainWorker.putMemory(ready);
    WorkerLoop.reply(protocol, ready);
    WorkerLoop.serve(protocol, (w, answer) -> {
      if (w[0].equals("step")) step(form, student, teacher, labels, distilled, weights, answer);
      else WorkerLoop.unknown(w, answer);
    });
  }

  /**
   * Made in bf16 in place: a float32 temporary, freed but kept resident by the allocator, would
   * sit in the baseline and hide the first [rows, vocab] float32 buffer of the side's peak.
   */
  private static Tensor logits(long rows, long vocab) {
    return torch.randn(new long[] {rows, vocab}, new TensorOptions(ScalarType.BFloat16)).mul_(new Scalar(3.0));
  }

  private static void step(String form, Tensor student, Tensor teacher, Tensor labels, Tensor distilled,
      FusedDistillation.Weights weights, ObjectNode answer) throws IOException {
    long t0 = System.nanoTime();
    FusedDistillation.Result r;
    try (TensorScope scope = new TensorScope()) {
      if (form.equals("fused")) {
        r = FusedDistillation.lossAndGradient(student, teacher, labels, IGNORE, distilled, weights, 1, true);
      } else {
        try (Autograd.Recording recording = Autograd.record()) {
          r = FusedDistillation.unfused(student, teacher, labels, IGNORE, distilled, weights, true);
          recording.backward(r.combined());
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      answer.put("seconds", seconds).put("combined", Tensors.value(r.combined())).put("kd", Tensors.value(r.kd()))
          .put("teacher_ce", Tensors.value(r.teacherCe()));
    }
    if (form.equals("unfused")) Autograd.zeroGradients(List.of(student));
  }
}
