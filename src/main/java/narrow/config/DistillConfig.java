package narrow.config;

import narrow.distill.DistillSettings;
import narrow.util.Locations;

/**
 * The {@code distill:} section: the student (the {@code model:} section, trained from scratch)
 * learns from a pretrained teacher's softened distribution. Defaults are the study's:
 * temperature 2, alpha 0.5, smoothing 0.999.
 *
 * @param teacher a Hugging Face folder, local or {@code s3a://} / {@code gs://}
 */
public record DistillConfig(String teacher, Double temperature, Double alpha, Double smoothing) {

  public DistillConfig {
    temperature = temperature == null ? 2.0 : temperature;
    alpha = alpha == null ? 0.5 : alpha;
    smoothing = smoothing == null ? 0.999 : smoothing;
  }

  void validate(ConfigErrors errors) {
    if (errors.requirePresent("distill.teacher", teacher) && !Locations.isRemote(teacher)) {
      errors.requireExistingLocal("distill.teacher", teacher);
    }
    if (!(temperature > 0)) errors.add("distill.temperature", "must be > 0, got " + temperature);
    errors.requireInRange("distill.alpha", alpha, 0.0, 1.0);
    if (!(smoothing >= 0 && smoothing < 1)) errors.add("distill.smoothing", "must be in [0, 1), got " + smoothing);
  }

  public DistillSettings settings() {
    return new DistillSettings(Locations.expanded(teacher), temperature, alpha, smoothing);
  }
}
