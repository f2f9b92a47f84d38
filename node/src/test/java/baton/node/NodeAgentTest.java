package baton.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.op.OpRegistry;
import baton.protocol.spec.OpRef;
import baton.protocol.wire.BatchStarted;
import baton.protocol.wire.Item;
import baton.protocol.wire.Pull;
import baton.protocol.wire.ServiceKeys;
import baton.protocol.wire.WorkBatch;
import baton.protocol.wire.WorkResult;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A {@link NodeAgent} with a real pool, and a probe registered with the Receptionist as the coordinator's
 * dispatcher. Each test stops what it spawned, so agents of one test never pull from the next test's dispatcher.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
final class NodeAgentTest {

  private static final int WORKERS = 3;
  private static final Duration MINUTE = Duration.ofMinutes(1);

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private final OpRegistry registry = OpRegistry.load(getClass().getClassLoader(), ConfigFactory.load());
  // No repeated full loads within a test, except where one asks for them.
  private NodeSettings settings = NodeSettings.from(ConfigFactory.load()).withWorkers(WORKERS)
      .withPullRefresh(Duration.ofHours(1));

  private ActorRef<WorkBatch> pool;
  private ActorRef<NodeAgent.Command> agent;
  private TestProbe<Pull> dispatcher;

  @AfterEach
  void stopAll() {
    if (agent != null) {
      testKit.stop(agent);
      testKit.stop(pool);
    }
    if (dispatcher != null) {
      dispatcher.stop();
    }
  }

  @Test
  void agent_dispatcherAppears_pullsTwoBatchesPerWorker() {
    startAgent();

    Pull pull = registerDispatcher().receiveMessage();

    assertEquals(2 * WORKERS, pull.credits());
    assertEquals(WORKERS, pull.workers());
    assertTrue(pull.fullLoad());
  }

  @Test
  void agent_batchFromDispatcher_isAnsweredToItsAskerAndOneMoreIsPulled() {
    startAgent();
    Pull first = registerDispatcher().receiveMessage();
    TestProbe<WorkResult> asker = testKit.createTestProbe();

    first.agent().tell(new WorkBatch(41, "job-a", 1, new OpRef("word-count", "{}"),
        List.of(Item.ofText("a b c")), asker.getRef(), noStarts(), MINUTE));

    WorkResult result = asker.receiveMessage();
    assertEquals(41, result.batch());
    assertArrayEquals("3".getBytes(StandardCharsets.US_ASCII), result.results().get(0).payload());
    Pull next = dispatcher.receiveMessage();
    assertEquals(1, next.credits());
    assertEquals(false, next.fullLoad());
    assertEquals(41, next.completedBatch());
    assertEquals(first.agent(), next.agent());
  }

  @Test
  void agent_batchesOfSeveralJobs_eachGoBackToTheirOwnAsker() {
    startAgent();
    Pull first = registerDispatcher().receiveMessage();
    TestProbe<WorkResult> askerA = testKit.createTestProbe();
    TestProbe<WorkResult> askerB = testKit.createTestProbe();

    first.agent().tell(new WorkBatch(1, "job-a", 1, new OpRef("fault", "{}"), List.of(Item.ofText("a")),
        askerA.getRef(), noStarts(), MINUTE));
    first.agent().tell(new WorkBatch(2, "job-b", 1, new OpRef("fault", "{}"), List.of(Item.ofText("b")),
        askerB.getRef(), noStarts(), MINUTE));

    assertEquals("a", askerA.receiveMessage().results().get(0).key());
    assertEquals("b", askerB.receiveMessage().results().get(0).key());
    askerA.expectNoMessage();
    List<Long> completed = dispatcher.receiveSeveralMessages(2).stream().map(Pull::completedBatch).sorted()
        .toList();
    assertEquals(List.of(1L, 2L), completed);
  }

  @Test
  void agent_dispatcherDroppedFromTheListingAndListedAgain_keepsGivingCreditsButNoSecondFullLoad() {
    startAgent();
    Pull first = registerDispatcher().receiveMessage();
    assertTrue(first.fullLoad());
    TestProbe<WorkResult> asker = testKit.createTestProbe();
    TestProbe<BatchStarted> started = testKit.createTestProbe();

    LoggingTestKit.info("the coordinator is gone").expect(testKit.system(), () -> {
      testKit.system().receptionist().tell(Receptionist.deregister(ServiceKeys.DISPATCHER, dispatcher.getRef()));
      return null;
    });
    first.agent().tell(new WorkBatch(5, "job-a", 1, new OpRef("word-count", "{}"), List.of(Item.ofText("a b")),
        asker.getRef(), started.getRef(), MINUTE));
    assertEquals(new BatchStarted(5), started.receiveMessage());
    assertEquals(5, asker.receiveMessage().batch());
    assertEquals(Pull.oneMore(first.agent(), WORKERS, 5), dispatcher.receiveMessage(),
        "a batch's credit goes back to the dispatcher that sent it, listed or not");
    LoggingTestKit.info("the coordinator is back").expect(testKit.system(), () -> {
      testKit.system().receptionist().tell(Receptionist.register(ServiceKeys.DISPATCHER, dispatcher.getRef()));
      return null;
    });

    dispatcher.expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void agent_dispatcherDroppedItWithoutTheAgentKnowing_fullLoadRepeatedEveryPullRefresh() {
    // The dispatcher may lose sight of a node that never left: the removal of the node's previous incarnation at
    // the same host:port ends the dispatcher's watch on the new one too. A full load sent once would then be lost
    // for good, and the node idle; repeated, it registers the node again.
    settings = settings.withPullRefresh(Duration.ofMillis(200));
    startAgent();
    Pull first = registerDispatcher().receiveMessage();
    assertTrue(first.fullLoad());

    Pull again = dispatcher.receiveMessage(Duration.ofSeconds(10));

    assertEquals(first, again);
  }

  private ActorRef<BatchStarted> noStarts() {
    return testKit.system().deadLetters();
  }

  private void startAgent() {
    pool = testKit.spawn(WorkerPool.create(registry, settings));
    agent = testKit.spawn(NodeAgent.create(pool, settings));
  }

  private TestProbe<Pull> registerDispatcher() {
    dispatcher = testKit.createTestProbe();
    TestProbe<Receptionist.Registered> registered = testKit.createTestProbe();
    testKit.system().receptionist()
        .tell(Receptionist.register(ServiceKeys.DISPATCHER, dispatcher.getRef(), registered.getRef()));
    registered.receiveMessage();
    return dispatcher;
  }
}
