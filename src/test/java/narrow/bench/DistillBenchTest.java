package narrow.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.List;
import narrow.util.UserError;
import org.junit.jupiter.api.Test;

/**
 * {@code bench distill} made tiny: both sides run in their own JVMs and compute the same losses,
 * and the table names each with its time and peak.
 */
class DistillBenchTest {

  @Test
  void bothFormsRunAndAgree() {
    List<DistillBench.Side> sides = assertTimeoutPreemptively(Duration.ofMinutes(3),
        () -> DistillBench.run(40, 50, 2, 0.5, 1, "256m"));
    assertEquals(List.of("fused", "unfused"), sides.stream().map(DistillBench.Side::form).toList());
    DistillBench.Side fused = sides.get(0);
    DistillBench.Side unfused = sides.get(1);
    assertEquals(unfused.combined(), fused.combined(), 1e-5 * Math.abs(unfused.combined()));
    assertEquals(unfused.kd(), fused.kd(), 1e-5 * Math.abs(unfused.kd()));
    assertEquals(unfused.teacherCe(), fused.teacherCe(), 1e-5 * Math.abs(unfused.teacherCe()));
    for (DistillBench.Side side : sides) {
      assertTrue(side.bestSeconds() > 0 && side.bestSeconds() <= side.medianSeconds(), side.toString());
      assertTrue(side.peakAboveInputsMb() >= 0, side.toString());
    }
    String table = DistillBench.table(sides, 40, 50);
    assertTrue(table.contains("bf16 logits [40, 50]") && table.contains("\nfused ") && table.contains("\nunfused "),
        table);
  }

  @Test
  void nothingToMeasureIsAUserError() {
    BenchCommand.Distill command = new BenchCommand.Distill();
    command.rows = 1024;
    command.vocab = 128256;
    command.rounds = 0;
    UserError e = assertThrows(UserError.class, command::call);
    assertTrue(e.getMessage().contains("--rounds"), e.getMessage());
  }
}
