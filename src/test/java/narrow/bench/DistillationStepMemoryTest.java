package narrow.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import narrow.distill.DistillSettings;
import narrow.engine.Autocast;
import narrow.engine.Autograd;
import narrow.engine.DType;
import narrow.engine.Device;
import narrow.engine.TensorScope;
import narrow.engine.Tensors;
import narrow.model.LlamaConfig;
import narrow.model.LlamaForCausalLM;
import narrow.train.Objective;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the fused objective holds, read from glibc's count of bytes in use ({@link MallocInUse},
 * which is why this sits beside the benchmarks): under bf16 autocast a teacher of 2 bytes a
 * parameter; after a micro-batch's loss, the gradient with respect to the student's logits, which
 * the trainer's backward needs, and not the teacher's logits, which would otherwise stay through
 * the backward (a second [tokens × vocabulary] tensor at the step's peak); and at the loss's own
 * peak, the teacher's logits and nothing of their size beside them, as the gradient is written over them.
 */
class DistillationStepMemoryTest {
  @Test
  void aBf16TeacherAndItsLogitsFreedOnceTheLossIsComputed(@TempDir Path dir) throws Exception {
    Path teacherDir = dir.resolve("teacher");
    try (LlamaForCausalLM t = LlamaForCausalLM.init(LlamaConfig.preset("d256_l1_h2"), 1)) {
      t.save(teacherDir, DType.BF16);
    }
    // sizes that dwarf the tens of MB the JIT compiler's threads hold in malloc while compiling:
    // a 66M-parameter teacher (131 MB in bf16, 263 MB in float32) and 512 tokens (131 MB of logits)
    int rows = 8, cols = 64;
    long[] idValues = new long[rows * cols];
    for (int i = 0; i < idValues.length; i++) idValues[i] = (i * 7919L) % 128_256;
    try (TensorScope scope = new TensorScope();
        LlamaForCausalLM student = LlamaForCausalLM.init(LlamaConfig.preset("d32_l1_h2"), 0);
        Objective objective = new DistillSettings(teacherDir.toString(), 2, 0.5, 0.999).objective();
        Autograd.Scope noGrad = Autograd.noGrad();
        Autocast autocast = Autocast.bf16(Device.CPU)) {
      Tensor ids = Tensors.longs(idValues, rows, cols);
      Objective.MicroBatch batch = new Objective.MicroBatch(ids, ids, student.logits(ids), 1, 1);
      long logitsBytes = Tensors.numel(batch.logits()) * 2;
      assertTrue(Tensors.isBf16(batch.logits()));
      // the first load's one-time costs (readers, buffers, libraries' first use) are not the teacher's
      narrow.distill.Teacher.load(teacherDir, Device.CPU, true).close();
      long unloaded = MallocInUse.kib();
      // as a trainer does before its first step, under bf16 autocast
      objective.prepare(new Objective.Context(new org.apache.hadoop.conf.Configuration(), Device.CPU, true));
      try (TensorScope first = new TensorScope()) {
        objective.microBatchLoss(batch); // the first step's one-time costs
      }
      long before = MallocInUse.kib();
      long teacherBytes = (before - unloaded) * 1024;
      long params = DistillStepBench.params(LlamaConfig.preset("d256_l1_h2"));
      assertTrue(teacherBytes > params && teacherBytes < params * 3, "the teacher holds " + teacherBytes
          + " bytes for " + params + " parameters: bf16 is 2 a parameter, float32 4");
      assertTrue(before >= 0, "glibc's malloc with mallinfo2 is needed to read this");
      try (TensorScope step = new TensorScope()) {
        Objective.LogitsLoss loss;
        long peak;
        try (MemoryPhases probe = new MemoryPhases()) {
          loss = objective.microBatchLoss(batch);
          probe.mark("loss");
          peak = (probe.phases().get(0).peakKb() - before) * 1024;
        }
        // the teacher's logits become the gradient: one [tokens x vocabulary] tensor above the
        // student's logits at the loss's peak, not two (a sampler that misses the peak reads less)
        assertTrue(peak < logitsBytes * 3 / 2, "peak during the loss: " + peak
            + " bytes above the student's logits, one [tokens x vocabulary] bf16 tensor is " + logitsBytes);
        long alive = (MallocInUse.kib() - before) * 1024;
        assertArrayEquals(Tensors.shape(batch.logits()), Tensors.shape(loss.logitsGradient()));
        // the bf16 gradient (131 MB here) and a few small tensors; with the teacher's logits too, twice that
        assertTrue(alive > logitsBytes / 2 && alive < logitsBytes * 3 / 2, "alive after the loss: " + alive
            + " bytes, one [tokens x vocabulary] bf16 tensor is " + logitsBytes);
      }
    }
  }
}
