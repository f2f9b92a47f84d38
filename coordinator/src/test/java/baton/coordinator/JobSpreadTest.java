package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.coordinator.spec.JobSpecParser;
import baton.protocol.op.OpRegistry;
import baton.protocol.wire.WorkResult;
import baton.protocol.wire.WorkResult.ItemResult;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the coordinator cuts a small job's cpu work into batches: spread over the workers while its op's time per item
 * is unknown or its work is worth spreading, in one batch once the op is known to be cheap.
 */
// One instance per class: TestKitJUnit5Extension shuts down only the last instance's test kit.
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
final class JobSpreadTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String TINY = "input.range { from = 1, to = 10 }\nstages = [ { op = sha256 } ]\n";
  private static final String TINY_SLOW = "input.range { from = 1, to = 10 }\n"
      + "stages = [ { op = sha256, rounds = 100000 } ]\n";

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(Journal.withDatabase(ConfigFactory.load())).build();

  @TempDir
  Path dir;

  /** A batch the dispatcher got: its job and its items. */
  private record Sent(String jobId, int items) {
  }

  @Test
  void submit_secondTinyJobOfACheapOp_sentInOneBatch() {
    TestProbe<Sent> sent = testKit.createTestProbe();
    ActorRef<Coordinator.Command> coordinator = coordinator(Duration.ofNanos(1_000), sent.ref());

    List<Integer> first = batchesOf(coordinator, TINY, sent);
    List<Integer> second = batchesOf(coordinator, TINY, sent);

    assertEquals(10, first.size(), "an op never seen spreads as before: " + first);
    assertEquals(List.of(10), second);
  }

  @Test
  void submit_smallJobOfASlowOp_stillSpreadOverSeveralBatches() {
    TestProbe<Sent> sent = testKit.createTestProbe();
    ActorRef<Coordinator.Command> coordinator = coordinator(Duration.ofMillis(5), sent.ref());

    batchesOf(coordinator, TINY_SLOW, sent);
    List<Integer> second = batchesOf(coordinator, TINY_SLOW, sent);

    assertTrue(second.size() >= 2, "10 items of 5 ms each: " + second);
  }

  @Test
  void submit_cheapOpWithOtherParams_spreadAsAnOpNeverSeen() {
    TestProbe<Sent> sent = testKit.createTestProbe();
    ActorRef<Coordinator.Command> coordinator = coordinator(Duration.ofNanos(1_000), sent.ref());

    batchesOf(coordinator, TINY, sent);
    List<Integer> other = batchesOf(coordinator, TINY_SLOW, sent);

    assertEquals(10, other.size(), other.toString());
  }

  /** A coordinator whose dispatcher answers each batch at once, saying each item took {@code perItem}. */
  private ActorRef<Coordinator.Command> coordinator(Duration perItem, ActorRef<Sent> sent) {
    CoordinatorSettings settings = CoordinatorSettings.from(testKit.system().settings().config());
    OpRegistry registry = OpRegistry.load(getClass().getClassLoader(), testKit.system().settings().config());
    ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(worker(perItem, sent));
    return testKit.spawn(Coordinator.create(settings, new JobSpecParser(registry, settings.job()), dispatcher,
        "coordinator-" + UUID.randomUUID()));
  }

  private static Behavior<WorkDispatcher.Command> worker(Duration perItem, ActorRef<Sent> sent) {
    return Behaviors.receive(WorkDispatcher.Command.class)
        .onMessage(WorkDispatcher.Dispatch.class, dispatch -> {
          sent.tell(new Sent(dispatch.jobId(), dispatch.items().size()));
          dispatch.replyTo().tell(new WorkResult(1, dispatch.items().stream()
              .map(item -> ItemResult.ok(item.key(), item.payload())).toList(), "node-a",
              perItem.toNanos() * dispatch.items().size()));
          return Behaviors.same();
        })
        .onAnyMessage(message -> Behaviors.same())
        .build();
  }

  /** Runs a 10-item job to its end; the sizes of the batches it was sent in. */
  private List<Integer> batchesOf(ActorRef<Coordinator.Command> coordinator, String spec, TestProbe<Sent> sent) {
    TestProbe<Coordinator.SubmitReply> reply = testKit.createTestProbe();
    coordinator.tell(new Coordinator.Submit(spec, "spec.conf", dir, reply.ref()));
    String id = assertInstanceOf(Coordinator.Accepted.class, reply.receiveMessage(WAIT)).status().id();
    JobStatus done = awaitFinal(coordinator, id);
    assertEquals(JobState.SUCCEEDED, done.state(), done.toString());
    ItemCounts.assertAddUp(done);
    // Every batch reached the dispatcher before the job ended, and every item was in one batch.
    List<Integer> sizes = new ArrayList<>();
    int items = 0;
    while (items < 10) {
      Sent batch = sent.receiveMessage(WAIT);
      assertEquals(id, batch.jobId());
      sizes.add(batch.items());
      items += batch.items();
    }
    assertEquals(10, items, sizes.toString());
    return sizes;
  }

  private JobStatus awaitFinal(ActorRef<Coordinator.Command> coordinator, String id) {
    return testKit.createTestProbe().awaitAssert(WAIT, () -> {
      TestProbe<Optional<JobStatus>> reply = testKit.createTestProbe();
      coordinator.tell(new Coordinator.GetJob(id, reply.ref()));
      JobStatus status = reply.receiveMessage(WAIT).orElseThrow();
      assertTrue(status.state().isFinal(), status.toString());
      return status;
    });
  }
}
