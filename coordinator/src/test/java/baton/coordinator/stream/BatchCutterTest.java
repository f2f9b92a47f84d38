package baton.coordinator.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import baton.protocol.op.CpuOp;
import baton.protocol.op.OpKind;
import baton.protocol.spec.JobSpec;
import baton.protocol.spec.OpRef;
import baton.protocol.wire.Item;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The batch cutter sizes each batch by the worker times reported for the batches before it, also when a batch's
 * answer is already there when its call returns: {@code mapAsyncUnordered} then pulls the next batch at once.
 */
@ExtendWith(TestKitJUnit5Extension.class)
final class BatchCutterTest {

  private static final BatchSize.Limits LIMITS = new BatchSize.Limits(16, Duration.ofMillis(10));

  @JUnit5TestKit
  ActorTestKit testKit = ActorTestKit.create();

  @Test
  void cut_answerThereWhenTheCallReturns_nextBatchSizedByItsReport() throws Exception {
    List<Outcome> chunk = new ArrayList<>();
    for (int seq = 0; seq < 44; seq++) {
      chunk.add(new Outcome.Ok(seq, Item.ofText("k" + seq)));
    }
    CpuOp same = (key, payload) -> payload;
    JobSpec.Stage stage = new JobSpec.Stage(1, OpKind.CPU, 1, 4, same, new OpRef("sha256", "{}"), Optional.empty(),
        false);

    // Each batch took a worker 1 ms, a tenth of the target: the next one is twice as large, up to 16.
    List<Integer> sizes = Source.single(chunk)
        .via(new BatchCutter(stage, LIMITS, Long.MAX_VALUE))
        .via(Flow.<BatchCutter.Batch>create().mapAsyncUnordered(1, batch -> {
          batch.took().complete(new BatchCutter.Took(batch.outcomes().size(), TimeUnit.MILLISECONDS.toNanos(1)));
          return CompletableFuture.completedFuture(batch.outcomes().size());
        }))
        .runWith(Sink.seq(), testKit.system())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertEquals(List.of(4, 8, 16, 16), sizes);
  }
}
