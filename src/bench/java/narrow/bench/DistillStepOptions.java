package narrow.bench;

import narrow.model.LlamaConfig;
import narrow.util.UserError;

/**
 * What {@code bench distill-step} measures: a {@code student} preset trained against a
 * {@code teacher} preset (made fresh by the bench, saved in the dtype it is held in, loaded as the trainer loads a
 * teacher) at {@code batch} × {@code seq}, bf16 autocast when {@code bf16}, the study's
 * {@code temperature} and {@code alpha}, for {@code rounds} interleaved rounds after a warm-up;
 * the sides' JVMs get {@code workerHeap}.
 */
public record DistillStepOptions(String student, String teacher, int batch, int seq, boolean bf16,
    double temperature, double alpha, int rounds, String workerHeap) {

  public DistillStepOptions {
    for (String[] named : new String[][] {{"--student", student}, {"--teacher", teacher}}) {
      try {
        LlamaConfig.preset(named[1]);
      } catch (IllegalArgumentException e) {
        throw new UserError(named[0] + ": " + e.getMessage());
      }
    }
    if (batch < 1 || seq < 2 || rounds < 1) {
      throw new UserError("--batch and --rounds must be at least 1, --seq at least 2");
    }
    if (!(temperature > 0) || !(alpha >= 0 && alpha <= 1)) {
      throw new UserError("--temperature must be positive and --alpha within [0, 1]");
    }
  }

  /** The shapes: the smallest study student under a d768 teacher, 512 tokens, bf16. */
  public static DistillStepOptions defaults() {
    return new DistillStepOptions("d256_l4_h4", "d768_l12_h12", 1, 512, true, 2, 0.5, 3, "512m");
  }

  LlamaConfig studentConfig() {
    return LlamaConfig.preset(student);
  }

  LlamaConfig teacherConfig() {
    return LlamaConfig.preset(teacher);
  }

  long tokens() {
    return (long) batch * seq;
  }
}
