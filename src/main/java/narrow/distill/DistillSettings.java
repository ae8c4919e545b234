package narrow.distill;

import java.io.Serializable;

/**
 * A distillation run's teacher and loss weights, shipped to every replica as they are.
 *
 * @param teacher a Hugging Face folder (local, {@code s3a://} or {@code gs://}): single or sharded
 *     safetensors, float32 or bf16, grouped-query attention and tied embeddings allowed
 * @param temperature T: both distributions are softened by it, the KL term scaled by T²
 * @param alpha the weight of the student's hard-label loss; 1 − alpha weighs the KL term
 * @param smoothing the EMA factor of the logged {@code *_smoothed} losses
 */
public record DistillSettings(String teacher, double temperature, double alpha, double smoothing)
    implements Serializable {

  public DistillationObjective objective() {
    return new DistillationObjective(this);
  }
}
