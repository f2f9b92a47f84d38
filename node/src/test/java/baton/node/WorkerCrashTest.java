package baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.op.OpRegistry;
import baton.protocol.spec.OpRef;
import baton.protocol.wire.Item;
import baton.protocol.wire.WorkBatch;
import baton.protocol.wire.WorkResult.ItemResult;
import baton.protocol.wire.WorkResult.Status;
import baton.protocol.wire.WorkResult;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Workers whose ops throw or overflow the stack: items fail alone, batches are always answered, no worker is lost. */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
final class WorkerCrashTest {

  @JUnit5TestKit
  ActorTestKit testKit = ActorTestKit.create();

  private final OpRegistry registry = OpRegistry.load(getClass().getClassLoader(), ConfigFactory.load());
  private static final OpRef CRASH = new OpRef("crash", "{}");

  @Test
  void worker_opThrowsStackOverflowOrException_thatItemFailsAloneAndTheBatchIsAnswered() {
    ActorRef<WorkBatch> pool = testKit.spawn(WorkerPool.create(registry, settings(1)));
    TestProbe<WorkResult> probe = testKit.createTestProbe();

    pool.tell(batch(1, CRASH, probe.getRef(), "a", "overflow", "b", "boom", "c"));

    WorkResult result = probe.expectMessageClass(WorkResult.class);
    assertEquals(1, result.batch());
    List<Status> statuses = result.results().stream().map(ItemResult::status).toList();
    assertEquals(List.of(Status.OK, Status.FAILED, Status.OK, Status.FAILED, Status.OK), statuses);
    assertTrue(result.results().get(1).error().contains("StackOverflowError: test overflow"),
        result.results().get(1).error());
    assertEquals("IllegalStateException: test boom", result.results().get(3).error());
    assertEquals("c", new String(result.results().get(4).payload()));
  }

  @Test
  void worker_itemKeepsCrashingIt_eachTryIsAnsweredOnceAndNothingLoops() {
    ActorRef<WorkBatch> pool = testKit.spawn(WorkerPool.create(registry, settings(1)));
    TestProbe<WorkResult> probe = testKit.createTestProbe();

    for (int attempt = 1; attempt <= 3; attempt++) {
      pool.tell(batch(attempt, CRASH, probe.getRef(), "overflow"));
    }

    for (int attempt = 1; attempt <= 3; attempt++) {
      WorkResult result = probe.expectMessageClass(WorkResult.class);
      assertEquals(attempt, result.batch());
      assertEquals(Status.FAILED, result.results().get(0).status());
    }
    probe.expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void pool_afterOpsThatOverflowTheStackOnEveryWorker_allWorkersStillRunAtOnce() {
    int workers = 2;
    ActorRef<WorkBatch> pool = testKit.spawn(WorkerPool.create(registry, settings(workers)));
    TestProbe<WorkResult> probe = testKit.createTestProbe();
    for (int i = 0; i < workers * 2; i++) {
      pool.tell(batch(i, CRASH, probe.getRef(), "overflow"));
      probe.expectMessageClass(WorkResult.class);
    }
    TestOps.Together.LATCHES.put("all", new CountDownLatch(workers));
    OpRef together = new OpRef("together", "{\"id\": \"all\"}");

    // Each batch's item waits for the other's: they pass only when as many workers as before run them at once.
    for (int i = 0; i < workers; i++) {
      pool.tell(batch(100 + i, together, probe.getRef(), "item-" + i));
    }

    for (int i = 0; i < workers; i++) {
      WorkResult result = probe.expectMessageClass(WorkResult.class, Duration.ofSeconds(15));
      assertEquals(Status.OK, result.results().get(0).status(), result.results().get(0).error());
    }
  }

  private static NodeSettings settings(int workers) {
    return NodeSettings.from(ConfigFactory.load()).withWorkers(workers);
  }

  private WorkBatch batch(long number, OpRef op, ActorRef<WorkResult> replyTo, String... keys) {
    return new WorkBatch(number, "job-1", 0, op, List.of(keys).stream().map(Item::ofText).toList(), replyTo,
        testKit.system().deadLetters(), Duration.ofMinutes(1));
  }
}
