package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.spec.OpRef;
import baton.protocol.wire.BatchStarted;
import baton.protocol.wire.Item;
import baton.protocol.wire.JobEnded;
import baton.protocol.wire.Pull;
import baton.protocol.wire.ServiceKeys;
import baton.protocol.wire.WorkBatch;
import baton.protocol.wire.WorkResult.ItemResult;
import baton.protocol.wire.WorkResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The dispatcher with probes for nodes: batches of a lost node go elsewhere once, late and cancelled work drops, and
 * running jobs share the workers by their priorities' weights, counted in items.
 */
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
    // The test kit's system outlives each test: only this test's dispatcher counts.
    pulls = ownPulls(listings.fishForMessage(Duration.ofSeconds(3), listing ->
            ownPulls(listing).isEmpty() ? FishingOutcomes.continueAndIgnore() : FishingOutcomes.complete())
        .get(0)).get(0);
  }

  private List<ActorRef<Pull>> ownPulls(Receptionist.Listing listing) {
    return listing.getServiceInstances(ServiceKeys.DISPATCHER).stream()
        .filter(ref -> ref.path().parent().equals(dispatcher.path())).toList();
  }

  @AfterEach
  void stopDispatcher() {
    testKit.stop(dispatcher);
  }

  /** Takes a code cache registered by a test out of the test kit's Receptionist, which the next test's uses too. */
  private void deregister(TestProbe<JobEnded> cache) {
    TestProbe<Receptionist.Deregistered> deregistered = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.deregister(JobEnded.NODE_CODE, cache.getRef(),
        deregistered.getRef()));
    deregistered.receiveMessage();
  }

  @Test
  void nodeGone_batchInFlight_goesToAnotherNodeOnceAndTheLateResultIsDropped() {
    TestProbe<WorkBatch> nodeA = testKit.createTestProbe();
    TestProbe<WorkBatch> nodeB = testKit.createTestProbe();
    TestProbe<WorkResult> asker = testKit.createTestProbe();
    pulls.tell(Pull.fullLoad(nodeA.getRef(), 1, 1));
    dispatcher.tell(dispatch("job-1", asker.getRef(), "x", "y"));
    WorkBatch onA = nodeA.expectMessageClass(WorkBatch.class);
    pulls.tell(Pull.fullLoad(nodeB.getRef(), 1, 1));
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
  void jobOver_jobThatBroughtCode_theNodeThatRanItsBatchIsToldToDropItsCode() {
    TestProbe<WorkBatch> node = testKit.createTestProbe();
    TestProbe<JobEnded> nodeCode = testKit.createTestProbe();
    TestProbe<Receptionist.Registered> registered = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.register(JobEnded.NODE_CODE, nodeCode.getRef(),
        registered.getRef()));
    registered.receiveMessage();
    TestProbe<WorkResult> asker = testKit.createTestProbe();
    pulls.tell(Pull.fullLoad(node.getRef(), 1, 1));
    dispatcher.tell(new WorkDispatcher.Dispatch("shipped", 0, new OpRef("tag", "{}", "ab".repeat(32)),
        List.of(Item.ofText("a")), Duration.ofMinutes(1), asker.getRef(), testKit.system().deadLetters(), 0));
    WorkBatch shipped = node.expectMessageClass(WorkBatch.class);
    shipped.replyTo().tell(result(shipped, "node"));
    pulls.tell(Pull.oneMore(node.getRef(), 1, shipped.batch()));
    dispatcher.tell(dispatch("plain", asker.getRef(), "b"));
    WorkBatch plain = node.expectMessageClass(WorkBatch.class);
    plain.replyTo().tell(result(plain, "node"));
    asker.receiveMessage();
    asker.receiveMessage();

    dispatcher.tell(new WorkDispatcher.JobOver("plain"));
    dispatcher.tell(new WorkDispatcher.JobOver("shipped"));

    // The dispatcher finds the node's code cache through the Receptionist: longer than a probe's 3 s on a busy machine.
    assertEquals(new JobEnded("shipped"), nodeCode.receiveMessage(Duration.ofSeconds(20)));
    nodeCode.expectNoMessage(QUIET);
    deregister(nodeCode);
  }

  @Test
  void jobOver_beforeTheNodesCodeCacheIsListed_theCacheIsToldOnceListed() {
    TestProbe<WorkBatch> node = testKit.createTestProbe();
    TestProbe<WorkResult> asker = testKit.createTestProbe();
    pulls.tell(Pull.fullLoad(node.getRef(), 1, 1));
    dispatcher.tell(new WorkDispatcher.Dispatch("shipped-early", 0, new OpRef("tag", "{}", "cd".repeat(32)),
        List.of(Item.ofText("a")), Duration.ofMinutes(1), asker.getRef(), testKit.system().deadLetters(), 0));
    WorkBatch shipped = node.expectMessageClass(WorkBatch.class);
    shipped.replyTo().tell(result(shipped, "node"));
    asker.receiveMessage();
    dispatcher.tell(new WorkDispatcher.JobOver("shipped-early"));

    // Across a cluster the Receptionist shows a new node's code cache a moment after the node pulls.
    TestProbe<JobEnded> nodeCode = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.register(JobEnded.NODE_CODE, nodeCode.getRef()));

    assertEquals(new JobEnded("shipped-early"), nodeCode.receiveMessage(Duration.ofSeconds(20)));
    nodeCode.expectNoMessage(QUIET);
    deregister(nodeCode);
  }

  @Test
  void cancelJob_queuedAndRunningBatches_droppedAndOtherJobsGoOn() {
    TestProbe<WorkBatch> node = testKit.createTestProbe();
    TestProbe<WorkResult> cancelledAsker = testKit.createTestProbe();
    TestProbe<WorkResult> otherAsker = testKit.createTestProbe();
    pulls.tell(Pull.fullLoad(node.getRef(), 1, 1));
    dispatcher.tell(dispatch("job-1", cancelledAsker.getRef(), "a"));
    dispatcher.tell(dispatch("job-1", cancelledAsker.getRef(), "b"));
    dispatcher.tell(dispatch("job-2", otherAsker.getRef(), "c"));
    WorkBatch running = node.expectMessageClass(WorkBatch.class);
    assertEquals("job-1", running.jobId());

    dispatcher.tell(new WorkDispatcher.CancelJob("job-1"));
    running.replyTo().tell(result(running, "node"));
    pulls.tell(Pull.oneMore(node.getRef(), 1, running.batch()));
    dispatcher.tell(dispatch("job-1", cancelledAsker.getRef(), "late"));
    pulls.tell(Pull.fullLoad(node.getRef(), 1, 1));

    WorkBatch next = node.expectMessageClass(WorkBatch.class);
    assertEquals("job-2", next.jobId());
    node.expectNoMessage(QUIET);
    cancelledAsker.expectNoMessage(QUIET);
    next.replyTo().tell(result(next, "node"));
    assertEquals(List.of("c"), otherAsker.expectMessageClass(WorkResult.class).results().stream()
        .map(ItemResult::key).toList());
  }

  @Test
  void fullLoad_sentAgainForTheSameNode_replacesItsCreditsInsteadOfAddingToThem() {
    TestProbe<WorkBatch> node = testKit.createTestProbe();
    TestProbe<WorkResult> asker = testKit.createTestProbe();
    for (int i = 0; i < 10; i++) {
      dispatcher.tell(dispatch("job-1", asker.getRef(), "k" + i));
    }

    pulls.tell(Pull.fullLoad(node.getRef(), 4, 2));
    List<WorkBatch> first = node.receiveSeveralMessages(4);
    // The Receptionist dropped the dispatcher and listed it again: the node's agent asks for a full load again.
    pulls.tell(Pull.fullLoad(node.getRef(), 4, 2));

    node.expectNoMessage(QUIET);
    first.get(0).replyTo().tell(result(first.get(0), "node"));
    pulls.tell(Pull.oneMore(node.getRef(), 2, first.get(0).batch()));
    node.receiveMessage();
    node.expectNoMessage(QUIET);
  }

  @Test
  void startedBatch_slowerThanItemTimeoutPerItem_answeredAsTimedOutAndItsLateResultDropped() {
    TestProbe<WorkBatch> node = testKit.createTestProbe();
    TestProbe<WorkResult> asker = testKit.createTestProbe();
    pulls.tell(Pull.fullLoad(node.getRef(), 2, 1));
    dispatcher.tell(new WorkDispatcher.Dispatch("job-1", 1, OP, List.of(Item.ofText("a"), Item.ofText("b")),
        Duration.ofMillis(200), asker.getRef(), testKit.system().deadLetters(), 0));
    WorkBatch batch = node.receiveMessage();
    assertEquals(Duration.ofMillis(200), batch.itemTimeout());

    // Time before a worker starts the batch (queues, mailboxes) does not count: 2 items x 200 ms pass unanswered.
    asker.expectNoMessage(Duration.ofMillis(600));
    batch.started().tell(new BatchStarted(batch.batch()));

    WorkResult timedOut = asker.receiveMessage(Duration.ofSeconds(3));
    assertEquals(List.of("a", "b"), timedOut.results().stream().map(ItemResult::key).toList());
    for (ItemResult item : timedOut.results()) {
      assertEquals(WorkResult.Status.FAILED, item.status());
      assertTrue(item.error().startsWith("timed out on node "), item.error());
      assertTrue(item.error().contains("2 x 200 ms (item-timeout)"), item.error());
    }
    batch.replyTo().tell(result(batch, "node"));
    asker.expectNoMessage(QUIET);
  }

  @Test
  void startedBatches_laterOneWithEarlierDeadline_eachTimesOutAtItsOwnDeadlineAndAnsweredOnesNever() {
    TestProbe<WorkBatch> node = testKit.createTestProbe();
    TestProbe<WorkResult> slowAsker = testKit.createTestProbe();
    TestProbe<WorkResult> quickAsker = testKit.createTestProbe();
    TestProbe<WorkResult> answeredAsker = testKit.createTestProbe();
    pulls.tell(Pull.fullLoad(node.getRef(), 3, 3));
    dispatcher.tell(new WorkDispatcher.Dispatch("job-1", 1, OP, List.of(Item.ofText("slow")),
        Duration.ofMillis(1500), slowAsker.getRef(), testKit.system().deadLetters(), 0));
    dispatcher.tell(new WorkDispatcher.Dispatch("job-1", 1, OP, List.of(Item.ofText("quick")),
        Duration.ofMillis(200), quickAsker.getRef(), testKit.system().deadLetters(), 0));
    dispatcher.tell(new WorkDispatcher.Dispatch("job-1", 1, OP, List.of(Item.ofText("answered")),
        Duration.ofMillis(200), answeredAsker.getRef(), testKit.system().deadLetters(), 0));
    List<WorkBatch> batches = node.receiveSeveralMessages(3);

    // The batch with the far deadline starts first; the later ones' nearer deadlines must not wait for it.
    batches.forEach(batch -> batch.started().tell(new BatchStarted(batch.batch())));
    batches.get(2).replyTo().tell(result(batches.get(2), "node"));

    assertEquals(WorkResult.Status.OK, answeredAsker.receiveMessage().results().get(0).status());
    WorkResult quick = quickAsker.receiveMessage(Duration.ofSeconds(1));
    assertEquals(WorkResult.Status.FAILED, quick.results().get(0).status());
    assertTrue(quick.results().get(0).error().contains("after 200 ms (item-timeout)"), quick.results().get(0).error());
    slowAsker.expectNoMessage(Duration.ofMillis(500));
    WorkResult slow = slowAsker.receiveMessage(Duration.ofSeconds(3));
    assertTrue(slow.results().get(0).error().contains("after 1500 ms (item-timeout)"), slow.results().get(0).error());
    answeredAsker.expectNoMessage(QUIET);
  }

  @Test
  void dispatch_noNodeConnected_jobHearsOnceThatItWaitsThenThatWorkersCame() {
    TestProbe<WorkDispatcher.Waiting> waiting = testKit.createTestProbe();
    TestProbe<WorkResult> asker = testKit.createTestProbe();
    TestProbe<WorkBatch> node = testKit.createTestProbe();

    dispatcher.tell(dispatch("job-1", asker.getRef(), waiting.getRef(), "a"));
    dispatcher.tell(dispatch("job-1", asker.getRef(), waiting.getRef(), "b"));

    assertEquals(new WorkDispatcher.Waiting(true, "waiting for workers: 0 nodes"), waiting.receiveMessage());
    waiting.expectNoMessage(QUIET);
    pulls.tell(Pull.fullLoad(node.getRef(), 4, 2));
    WorkDispatcher.Waiting came = waiting.receiveMessage();
    assertFalse(came.waiting());
    assertTrue(came.text().startsWith("workers came: 1 node"), came.text());
    node.receiveSeveralMessages(2);
  }

  @Test
  void lastNodeGone_jobWithBatchesLeft_hearsThatItWaitsForWorkers() {
    TestProbe<WorkDispatcher.Waiting> waiting = testKit.createTestProbe();
    TestProbe<WorkResult> asker = testKit.createTestProbe();
    TestProbe<WorkBatch> node = testKit.createTestProbe();
    pulls.tell(Pull.fullLoad(node.getRef(), 1, 1));
    dispatcher.tell(dispatch("job-1", asker.getRef(), waiting.getRef(), "a"));
    dispatcher.tell(dispatch("job-1", asker.getRef(), waiting.getRef(), "b"));
    node.receiveMessage();
    waiting.expectNoMessage(QUIET);

    node.stop();

    assertEquals(new WorkDispatcher.Waiting(true, "waiting for workers: 0 nodes"), waiting.receiveMessage());
  }

  @Test
  void cancelJob_withBatches_logsWithTheJobIdInTheMdc() {
    TestProbe<WorkResult> asker = testKit.createTestProbe();
    dispatcher.tell(dispatch("job-9", asker.getRef(), "a"));

    LoggingTestKit.info("job job-9 cancelled: dropped 1 queued batches").withMdc(Map.of("jobId", "job-9"))
        .expect(testKit.system(), () -> {
          dispatcher.tell(new WorkDispatcher.CancelJob("job-9"));
          return null;
        });
  }


  @Test
  void equalJobs_deepBacklogsOfDifferentBatchSizes_getItemCountsWithin20Percent() {
    // Queued alternately, so handing out batches in turn would give job-b three times job-a's items.
    for (int i = 0; i < 300; i++) {
      queue("job-a", 0, 1, 4);
      if (i < 100) {
        queue("job-b", 0, 1, 12);
      }
    }
    settled();

    Map<String, Integer> items = itemsPerJob(pullAsANode(testKit.createTestProbe(), 2, 100));

    int a = items.getOrDefault("job-a", 0);
    int b = items.getOrDefault("job-b", 0);
    assertTrue(Math.abs(a - b) <= 0.2 * Math.max(a, b), "items per job: " + items);
  }

  @Test
  void jobsOfDifferentPriority_deepBacklogs_getItemCountsInTheRatioOfTheirWeights() {
    for (int i = 0; i < 200; i++) {
      queue("job-low", -200, 1, 10);
      queue("job-high", 200, 1, 10);
    }
    settled();

    Map<String, Integer> items = itemsPerJob(pullAsANode(testKit.createTestProbe(), 2, 100));

    double expected = WorkDispatcher.weight(200) / WorkDispatcher.weight(-200);
    assertEquals(4.0, expected, 1e-9);
    double ratio = items.getOrDefault("job-high", 0) / (double) items.getOrDefault("job-low", 0);
    assertEquals(expected, ratio, 0.2 * expected, "items per job: " + items);
  }

  @Test
  void lowestPriority_besideTheHighestWithADeepBacklog_isNotStarvedAndGetsItsWeightsShare() {
    List<Item> big = keys("big", 256);
    for (int i = 0; i < 300; i++) {
      dispatcher.tell(new WorkDispatcher.Dispatch("job-high", 0, OP, big, Duration.ofMinutes(1),
          testKit.system().deadLetters(), testKit.system().deadLetters(), 1000));
      if (i < 100) {
        queue("job-low", -1000, 1, 1);
      }
    }
    settled();

    List<WorkBatch> batches = pullAsANode(testKit.createTestProbe(), 2, 200);

    Map<String, Integer> items = itemsPerJob(batches);
    double expected = WorkDispatcher.weight(1000) / WorkDispatcher.weight(-1000);
    double ratio = items.getOrDefault("job-high", 0) / (double) items.getOrDefault("job-low", 0);
    assertEquals(expected, ratio, 0.2 * expected, "items per job: " + items);
    // Its first batch goes out among the first few, not after the other job's backlog.
    assertTrue(batches.subList(0, 10).stream().anyMatch(batch -> batch.jobId().equals("job-low")));
  }

  @Test
  void smallJob_arrivingBehindABigBacklog_goesOutWithinTheNextTwoDispatches() {
    TestProbe<WorkBatch> node = testKit.createTestProbe();
    queue("job-big", 0, 40, 256);
    settled();
    pulls.tell(Pull.fullLoad(node.getRef(), 2, 2));
    List<WorkBatch> held = node.receiveSeveralMessages(2);

    queue("job-small", 0, 1, 1);
    settled();

    List<String> next = new ArrayList<>();
    for (WorkBatch done : held) {
      pulls.tell(Pull.oneMore(node.getRef(), 2, done.batch()));
      next.add(node.receiveMessage().jobId());
    }
    assertTrue(next.contains("job-small"), "the next two batches went to " + next);
  }

  /** Queues {@code batches} batches of {@code items} items each for a job; their results go nowhere. */
  private void queue(String jobId, int priority, int batches, int items) {
    for (int i = 0; i < batches; i++) {
      dispatcher.tell(new WorkDispatcher.Dispatch(jobId, 0, OP, keys(jobId, items), Duration.ofMinutes(1),
          testKit.system().deadLetters(), testKit.system().deadLetters(), priority));
    }
  }

  private static List<Item> keys(String prefix, int count) {
    List<Item> items = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      items.add(Item.ofText(prefix + "-" + i));
    }
    return items;
  }

  /** Returns once the dispatcher has handled every message this test sent it before. */
  private void settled() {
    TestProbe<List<WorkDispatcher.NodeInfo>> nodes = testKit.createTestProbe();
    dispatcher.tell(new WorkDispatcher.GetNodes(nodes.getRef()));
    nodes.receiveMessage();
  }

  /**
   * Pulls like a node that holds {@code credits} batches at once and gives a credit back for each batch it gets as
   * soon as it has it: the first {@code batches} batches it got, in order.
   */
  private List<WorkBatch> pullAsANode(TestProbe<WorkBatch> node, int credits, int batches) {
    pulls.tell(Pull.fullLoad(node.getRef(), credits, credits));
    List<WorkBatch> got = new ArrayList<>(batches);
    for (int i = 0; i < batches; i++) {
      WorkBatch batch = node.receiveMessage();
      got.add(batch);
      pulls.tell(Pull.oneMore(node.getRef(), credits, batch.batch()));
    }
    return got;
  }

  private static Map<String, Integer> itemsPerJob(List<WorkBatch> batches) {
    Map<String, Integer> items = new HashMap<>();
    batches.forEach(batch -> items.merge(batch.jobId(), batch.items().size(), Integer::sum));
    return items;
  }

  private WorkDispatcher.Dispatch dispatch(String jobId, ActorRef<WorkResult> replyTo, String... keys) {
    return dispatch(jobId, replyTo, testKit.system().deadLetters(), keys);
  }

  private static WorkDispatcher.Dispatch dispatch(String jobId, ActorRef<WorkResult> replyTo,
      ActorRef<WorkDispatcher.Waiting> waitingTo, String... keys) {
    return new WorkDispatcher.Dispatch(jobId, 0, OP, List.of(keys).stream().map(Item::ofText).toList(),
        Duration.ofMinutes(1), replyTo, waitingTo, 0);
  }

  private static WorkResult result(WorkBatch batch, String node) {
    return new WorkResult(batch.batch(),
        batch.items().stream().map(item -> ItemResult.ok(item.key(), item.payload())).toList(), node);
  }
}
