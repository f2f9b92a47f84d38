package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import baton.protocol.Item;
import baton.protocol.OpRef;
import baton.protocol.Pull;
import baton.protocol.ServiceKeys;
import baton.protocol.WorkBatch;
import baton.protocol.WorkResult;
import baton.protocol.WorkResult.ItemResult;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The dispatcher with probes for nodes: batches of a lost node go elsewhere once, late and cancelled work drops. */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
final class WorkDispatcherTest {

  private static final OpRef OP = new OpRef("sha256", "{}");
  private static final Duration QUIET = Duration.ofMillis(300);

  @JUnit5TestKit
  ActorTestKit testKit = ActorTestKit.create();

  private ActorRef<WorkDispatcher.Command> dispatcher;
  private ActorRef<Pull> pulls;

  @BeforeEach
  void startDispatcher() {
    dispatcher = testKit.spawn(WorkDispatcher.create());
    TestProbe<Receptionist.Listing> listings = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.subscribe(ServiceKeys.DISPATCHER, listings.getRef()));
    pulls = listings.fishForMessage(Duration.ofSeconds(3), listing ->
            listing.getServiceInstances(ServiceKeys.DISPATCHER).isEmpty()
                ? FishingOutcomes.continueAndIgnore()
                : FishingOutcomes.complete())
        .get(0).getServiceInstances(ServiceKeys.DISPATCHER).iterator().next();
  }

  @Test
  void nodeGone_batchInFlight_goesToAnotherNodeOnceAndTheLateResultIsDropped() {
    TestProbe<WorkBatch> nodeA = testKit.createTestProbe();
    TestProbe<WorkBatch> nodeB = testKit.createTestProbe();
    TestProbe<WorkResult> asker = testKit.createTestProbe();
    pulls.tell(new Pull(nodeA.getRef(), 1, 1, -1));
    dispatcher.tell(dispatch("job-1", asker.getRef(), "x", "y"));
    WorkBatch onA = nodeA.expectMessageClass(WorkBatch.class);
    pulls.tell(new Pull(nodeB.getRef(), 1, 1, -1));
    nodeB.expectNoMessage(QUIET);

    nodeA.stop();

    WorkBatch onB = nodeB.expectMessageClass(WorkBatch.class);
    assertEquals(onA.items(), onB.items());
    assertNotEquals(onA.batch(), onB.batch());
    onA.replyTo().tell(result(onA, "node-a"));
    asker.expectNoMessage(QUIET);
    onB.replyTo().tell(result(onB, "node-b"));
    assertEquals("node-b", asker.expectMessageClass(WorkResult.class).node());
    onB.replyTo().tell(result(onB, "node-b"));
    asker.expectNoMessage(QUIET);
  }

  @Test
  void cancelJob_queuedAndRunningBatches_droppedAndOtherJobsGoOn() {
    TestProbe<WorkBatch> node = testKit.createTestProbe();
    TestProbe<WorkResult> cancelledAsker = testKit.createTestProbe();
    TestProbe<WorkResult> otherAsker = testKit.createTestProbe();
    pulls.tell(new Pull(node.getRef(), 1, 1, -1));
    dispatcher.tell(dispatch("job-1", cancelledAsker.getRef(), "a"));
    dispatcher.tell(dispatch("job-1", cancelledAsker.getRef(), "b"));
    dispatcher.tell(dispatch("job-2", otherAsker.getRef(), "c"));
    WorkBatch running = node.expectMessageClass(WorkBatch.class);
    assertEquals("job-1", running.jobId());

    dispatcher.tell(new WorkDispatcher.CancelJob("job-1"));
    running.replyTo().tell(result(running, "node"));
    pulls.tell(new Pull(node.getRef(), 1, 1, running.batch()));
    dispatcher.tell(dispatch("job-1", cancelledAsker.getRef(), "late"));
    pulls.tell(new Pull(node.getRef(), 1, 1, -1));

    WorkBatch next = node.expectMessageClass(WorkBatch.class);
    assertEquals("job-2", next.jobId());
    node.expectNoMessage(QUIET);
    cancelledAsker.expectNoMessage(QUIET);
    next.replyTo().tell(result(next, "node"));
    assertEquals(List.of("c"), otherAsker.expectMessageClass(WorkResult.class).results().stream()
        .map(ItemResult::key).toList());
  }

  private static WorkDispatcher.Dispatch dispatch(String jobId, ActorRef<WorkResult> replyTo, String... keys) {
    return new WorkDispatcher.Dispatch(jobId, 0, OP, List.of(keys).stream().map(Item::ofText).toList(), replyTo);
  }

  private static WorkResult result(WorkBatch batch, String node) {
    return new WorkResult(batch.batch(),
        batch.items().stream().map(item -> ItemResult.ok(item.key(), item.payload())).toList(), node);
  }
}
