package narrow.model;

import static org.junit.jupiter.api.Assertions.*;

import narrow.engine.Device;
import narrow.engine.Torch;
import narrow.train.TrainingArguments;
import narrow.util.UserError;
import org.junit.jupiter.api.Test;

/** model.device and the bf16 default, on whatever machine the tests run (CI: a CPU). */
class ComputeDeviceTest {
  @Test
  void settingsPickTheDeviceOrSayWhyNot() {
    assertEquals(Device.CPU, ComputeDevice.fromSetting("cpu"));
    assertEquals(Device.CPU, ComputeDevice.fromSetting(" CPU "));
    assertEquals(Torch.cudaAvailable() ? Device.cuda(0) : Device.CPU, ComputeDevice.fromSetting("auto"));
    assertEquals(ComputeDevice.fromSetting("auto"), ComputeDevice.fromSetting((String) null));
    UserError bad = assertThrows(UserError.class, () -> ComputeDevice.fromSetting("tpu"));
    assertTrue(bad.getMessage().contains("'tpu'"), bad.getMessage());
    assertThrows(UserError.class, () -> ComputeDevice.fromSetting("cuda:x"));
    int gpus = Torch.cudaDeviceCount();
    if (gpus == 0) {
      UserError none = assertThrows(UserError.class, () -> ComputeDevice.fromSetting("gpu"));
      assertTrue(none.getMessage().contains("sees 0 CUDA device"), none.getMessage());
    } else {
      assertEquals(Device.cuda(0), ComputeDevice.fromSetting("gpu"));
    }
    assertThrows(UserError.class, () -> ComputeDevice.fromSetting("cuda:" + gpus));
  }

  @Test
  void bf16DefaultsToWhatTheDeviceComputesInHardware() {
    TrainingArguments auto = TrainingArguments.defaults("out");
    assertNull(auto.bf16(), "unset: decided per device");
    assertEquals(Torch.cpuHasBf16(), auto.bf16On(Device.CPU));
    assertTrue(auto.bf16On(Device.cuda(0)));
    assertFalse(auto.with("bf16", false).bf16On(Device.cuda(0)));
    assertTrue(auto.with("bf16", true).bf16On(Device.CPU));
  }
}
