package baton.coordinator.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import baton.protocol.op.CpuOp;
import baton.protocol.op.OpKind;
import baton.protocol.spec.JobSpec;
import baton.protocol.spec.OpRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the coordinator remembers of each cpu op's time per item, and what a job is handed of it. */
final class ItemTimesTest {

  private static final OpRef CHEAP = new OpRef("sha256", "{\"rounds\":1}");
  private static final OpRef SLOW = new OpRef("sha256", "{\"rounds\":100000}");
  private static final OpRef OTHER = new OpRef("word-count", "{}");

  @Test
  void of_jobWithKnownAndUnknownOps_onlyTheKnownCpuOps() {
    ItemTimes times = new ItemTimes(10);
    times.learn(Map.of(CHEAP, 1_000L, OTHER, 7L));

    assertEquals(Map.of(CHEAP, 1_000L), times.of(spec(CHEAP, SLOW)));
  }

  @Test
  void learn_opKnownBefore_replacedByTheLatest() {
    ItemTimes times = new ItemTimes(10);
    times.learn(Map.of(CHEAP, 50_000L));
    times.learn(Map.of(CHEAP, 1_000L));

    assertEquals(Map.of(CHEAP, 1_000L), times.of(spec(CHEAP)));
  }

  @Test
  void learn_moreOpsThanKept_leastRecentlyLearnedDropped() {
    ItemTimes times = new ItemTimes(2);
    times.learn(Map.of(CHEAP, 1L));
    times.learn(Map.of(SLOW, 2L));
    times.learn(Map.of(CHEAP, 3L));
    times.learn(Map.of(OTHER, 4L));

    assertEquals(Map.of(CHEAP, 3L, OTHER, 4L), times.of(spec(CHEAP, SLOW, OTHER)));
  }

  private static JobSpec spec(OpRef... ops) {
    CpuOp same = (key, payload) -> payload;
    List<JobSpec.Stage> stages = new ArrayList<>();
    for (OpRef op : ops) {
      stages.add(new JobSpec.Stage(stages.size() + 1, OpKind.CPU, 2, 256, same, op));
    }
    return new JobSpec("times", new JobSpec.Range(1, 10), stages, Optional.empty(), 0, 0, Duration.ofMinutes(1),
        "(built by the test)");
  }
}
