package baton.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.op.CpuOp;
import baton.protocol.op.OpRegistry;
import baton.protocol.spec.OpRef;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

final class WorkloadTest {

  @Test
  void spec_mixed_stagesInOrderWithTheirParameters() {
    String spec = Workload.named("mixed", false).spec(Optional.empty());
    assertTrue(spec.contains("input.range { from = 1, to = 2000 }"), spec);
    assertTrue(spec.contains("{ op = delay, millis = 20, parallelism = 500 }\n  { op = sha256, rounds = 2000 }\n"
        + "  { op = delay, millis = 20, parallelism = 500 }"), spec);
  }

  @Test
  void steps_sha256_sameBytesAsBatonsOp() throws Exception {
    Workload workload = Workload.named("cpu-heavy", true);
    CpuOp op = OpRegistry.load(getClass().getClassLoader(), ConfigFactory.load())
        .createCpu(new OpRef("sha256", "{\"rounds\": 2000}"));
    assertEquals(new String(op.apply("17", "17".getBytes(StandardCharsets.UTF_8)), StandardCharsets.US_ASCII),
        new String(Steps.run(workload, "17"), StandardCharsets.US_ASCII));
  }

  @Test
  void itemsForThreads_waitingWorkload_fitsTheBudget() {
    Workload io = Workload.named("io-latency", false);
    assertEquals(20, Contender.itemsForThreads(io, 1, 2.0));
    assertEquals(5000, Contender.itemsForThreads(io, 1000, 2.0));
    assertEquals(4000, Contender.itemsForThreads(Workload.named("cpu-heavy", false), 1, 2.0));
  }
}
