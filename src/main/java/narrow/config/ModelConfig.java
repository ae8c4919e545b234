package narrow.config;

import narrow.model.DeviceSetting;
import narrow.model.ModelPreset;
import narrow.util.Locations;

/**
 * The {@code model:} section: what to train. Exactly one of {@code preset} (a fresh model,
 * {@code d{hidden}_l{layers}_h{heads}}) and {@code pretrained} (a Hugging Face model folder);
 * {@code device} is where it computes: {@code auto}, {@code cpu}, {@code gpu} or {@code cuda:N}
 * (a setting of another form is reported with the config's other errors).
 */
public record ModelConfig(String preset, String pretrained, Long seed, DeviceSetting device) {
  static final String PRESET_PATTERN = "d[0-9]+_l[0-9]+_h[0-9]+";

  public ModelConfig {
    seed = seed == null ? 42L : seed;
    device = device == null ? DeviceSetting.AUTO : device;
  }

  static ModelConfig none() {
    return new ModelConfig(null, null, null, null);
  }

  boolean isSet() {
    return preset != null || pretrained != null;
  }

  void validate(ConfigErrors errors) {
    if (preset != null && pretrained != null) {
      errors.add("model", "give either 'preset' or 'pretrained', not both");
    }
    if (preset != null && !preset.matches(PRESET_PATTERN)) {
      errors.add("model.preset", "expected d{hidden}_l{layers}_h{heads} such as d256_l4_h4, got '" + preset + "'");
    } else if (preset != null) {
      try {
        ModelPreset.parse(preset); // sizes that fit together: here, before any Spark or training work
      } catch (IllegalArgumentException e) { // the model package's word for a preset that cannot be built
        errors.add("model.preset", e.getMessage());
      }
    }
    if (pretrained != null) errors.requireExistingLocal("model.pretrained", pretrained);
  }

  /** The name a run gets when the config names none: the preset, or the pretrained folder's name. */
  String defaultRunName() {
    if (preset != null) return preset;
    return pretrained == null ? "model" : Locations.localPath(pretrained).getFileName().toString();
  }
}
