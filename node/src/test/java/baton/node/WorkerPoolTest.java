package baton.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.node.testops.FaultOp;
import baton.protocol.op.OpRegistry;
import baton.protocol.spec.OpRef;
import baton.protocol.wire.BatchStarted;
import baton.protocol.wire.Item;
import baton.protocol.wire.WorkBatch;
import baton.protocol.wire.WorkResult.ItemResult;
import baton.protocol.wire.WorkResult.Status;
import baton.protocol.wire.WorkResult;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A {@link WorkerPool} of real {@link Worker}s running built-in and test ops. One test instance for the class, so
 * that the extension shuts down the one actor system it made.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
final class WorkerPoolTest {

  /**
   * Also with the fix in place, an error that escapes a worker must fail a test, not end the test JVM. Two threads
   * for the workers at least, also on one core: a test holds one worker on a gate while the other goes on.
   */
  private static final Config CONFIG = ConfigFactory.parseString("""
      pekko.jvm-exit-on-fatal-error = off
      baton.cpu-dispatcher.fork-join-executor.parallelism-min = 2
      """).withFallback(ConfigFactory.load());

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(CONFIG).build();

  private static final Duration MINUTE = Duration.ofMinutes(1);

  private final OpRegistry registry = OpRegistry.load(getClass().getClassLoader(), CONFIG);

  @Test
  void pool_sha256Batch_answersOneDigestPerItemInOrder() throws Exception {
    ActorRef<WorkBatch> pool = pool(2);
    TestProbe<WorkResult> probe = testKit.createTestProbe();
    List<Item> items = IntStream.rangeClosed(1, 5).mapToObj(i -> Item.ofText("item-" + i)).toList();

    pool.tell(new WorkBatch(7, "job-1", 1, new OpRef("sha256", "{\"rounds\":1}"), items, probe.getRef(), noStarts(), MINUTE));

    WorkResult result = probe.receiveMessage();
    assertEquals(7, result.batch());
    assertEquals(testKit.system().address().toString(), result.node());
    assertEquals(items.size(), result.results().size());
    for (int i = 0; i < items.size(); i++) {
      ItemResult itemResult = result.results().get(i);
      assertEquals(items.get(i).key(), itemResult.key());
      assertEquals(Status.OK, itemResult.status());
      assertArrayEquals(hexSha256(items.get(i).payload()), itemResult.payload());
      assertNull(itemResult.error());
    }
  }

  @Test
  void pool_itemWhoseOpThrows_failsAloneWithReason() {
    ActorRef<WorkBatch> pool = pool(2);
    TestProbe<WorkResult> probe = testKit.createTestProbe();
    List<Item> items = List.of(Item.ofText("a"), Item.ofText("fail"), Item.ofText("skip"), Item.ofText("b"));

    pool.tell(new WorkBatch(1, "job-2", 1, new OpRef("fault", "{}"), items, probe.getRef(), noStarts(), MINUTE));

    List<ItemResult> results = probe.receiveMessage().results();
    assertOk(results.get(0), "a");
    assertFailed(results.get(1), "fail", "IllegalStateException: " + FaultOp.FAILURE);
    assertEquals(ItemResult.dropped("skip"), results.get(2), "a dropped item carries no payload");
    assertOk(results.get(3), "b");
  }

  @Test
  void pool_itemWhoseOpTakesLongerThanItemTimeout_failsAloneAsTimedOutAfterTheStartWasTold() {
    ActorRef<WorkBatch> pool = pool(1);
    TestProbe<WorkResult> probe = testKit.createTestProbe();
    TestProbe<BatchStarted> started = testKit.createTestProbe();
    List<Item> items = List.of(Item.ofText("slow"), Item.ofText("quick"));

    pool.tell(new WorkBatch(9, "job-9", 1, new OpRef("fault", "{}"), items, probe.getRef(), started.getRef(),
        FaultOp.SLOW.dividedBy(4)));

    assertEquals(new BatchStarted(9), started.receiveMessage());
    List<ItemResult> results = probe.receiveMessage().results();
    assertFailed(results.get(0), "slow", "timed out after 50 ms (item-timeout) on node "
        + testKit.system().address());
    assertOk(results.get(1), "quick");
  }

  @Test
  void pool_itemWhoseOpThrowsAnError_failsAloneWithReason() {
    ActorRef<WorkBatch> pool = pool(1);
    TestProbe<WorkResult> probe = testKit.createTestProbe();
    List<Item> items = List.of(Item.ofText("assert"), Item.ofText("after"));

    pool.tell(new WorkBatch(1, "job-3", 1, new OpRef("fault", "{}"), items, probe.getRef(), noStarts(), MINUTE));

    List<ItemResult> results = probe.receiveMessage().results();
    assertFailed(results.get(0), "assert", "AssertionError: " + FaultOp.FAILURE);
    assertOk(results.get(1), "after");
  }

  @Test
  void pool_grepThatOverflowsTheStack_failsThatItemOnly() {
    ActorRef<WorkBatch> pool = pool(1);
    TestProbe<WorkResult> probe = testKit.createTestProbe();
    // Java's regex engine recurses once per repetition of an alternation group: this overflows any stack.
    Item huge = new Item("huge", "a".repeat(1_000_000).getBytes(StandardCharsets.US_ASCII));
    List<Item> items = List.of(huge, Item.ofText("abc"));

    pool.tell(new WorkBatch(1, "job-4", 1, new OpRef("grep", "{\"pattern\":\"(a|b)*c\"}"), items, probe.getRef(), noStarts(), MINUTE));

    List<ItemResult> results = probe.receiveMessage().results();
    assertFailed(results.get(0), "huge", "StackOverflowError");
    assertOk(results.get(1), "abc");
  }

  @Test
  void pool_gunzipOfTextThatIsNotGzip_failsWithClearReason() {
    ActorRef<WorkBatch> pool = pool(1);
    TestProbe<WorkResult> probe = testKit.createTestProbe();

    pool.tell(new WorkBatch(1, "job-8", 1, new OpRef("gunzip", "{}"), List.of(Item.ofText("plain text")),
        probe.getRef(), noStarts(), MINUTE));

    assertFailed(probe.receiveMessage().results().get(0), "plain text", "ZipException: Not in GZIP format");
  }

  @Test
  void pool_opThatCannotBeMade_failsEveryItemOfTheBatch() {
    ActorRef<WorkBatch> pool = pool(1);
    TestProbe<WorkResult> probe = testKit.createTestProbe();
    List<Item> items = List.of(Item.ofText("x"), Item.ofText("y"));

    pool.tell(new WorkBatch(3, "job-5", 2, new OpRef("sha256", "{\"rounds\":0}"), items, probe.getRef(), noStarts(), MINUTE));
    pool.tell(new WorkBatch(4, "job-5", 3, new OpRef("no-such-op", "{}"), items, probe.getRef(), noStarts(), MINUTE));

    WorkResult badParams = probe.receiveMessage();
    assertEquals(3, badParams.batch());
    assertFailed(badParams.results().get(0), "x", "rounds must be between 1 and");
    assertFailed(badParams.results().get(1), "y", "rounds must be between 1 and");
    WorkResult unknown = probe.receiveMessage();
    assertEquals(4, unknown.batch());
    assertFailed(unknown.results().get(0), "x", "unknown op no-such-op");
    assertFailed(unknown.results().get(1), "y", "unknown op no-such-op");
  }

  @Test
  void pool_workerThatCrashes_itsBatchIsAnsweredAsFailedAndThePoolKeepsWorking() {
    ActorRef<WorkBatch> pool = pool(1);
    TestProbe<WorkResult> probe = testKit.createTestProbe();
    List<Item> items = List.of(Item.ofText("a"), Item.ofText("b"));

    // A batch without a start listener breaks the worker itself, not an op: the pool must replace the worker.
    LoggingTestKit.error(NullPointerException.class).expect(testKit.system(), () -> {
      pool.tell(new WorkBatch(1, "job-6", 1, new OpRef("fault", "{}"), items, probe.getRef(), null, MINUTE));
      return null;
    });
    pool.tell(new WorkBatch(2, "job-6", 1, new OpRef("fault", "{}"), List.of(Item.ofText("ok")), probe.getRef(), noStarts(), MINUTE));

    WorkResult crashed = probe.receiveMessage();
    assertEquals(1, crashed.batch(), "the crashed batch is answered, before the next one");
    assertEquals(testKit.system().address().toString(), crashed.node());
    assertEquals(2, crashed.results().size());
    assertFailed(crashed.results().get(0), "a", "its worker crashed: NullPointerException");
    assertFailed(crashed.results().get(1), "b", "its worker crashed: NullPointerException");
    WorkResult next = probe.receiveMessage();
    assertEquals(2, next.batch());
    assertOk(next.results().get(0), "ok");
  }

  @Test
  void pool_everyWorkerCrashes_asManyBatchesStillRunAtOnce() {
    int workers = 2;
    ActorRef<WorkBatch> pool = pool(workers);
    TestProbe<WorkResult> probe = testKit.createTestProbe();
    for (int i = 0; i < workers; i++) {
      pool.tell(new WorkBatch(i, "job-10", 1, new OpRef("fault", "{}"), List.of(Item.ofText("x")), probe.getRef(),
          null, MINUTE));
    }
    for (int i = 0; i < workers; i++) {
      assertFailed(probe.receiveMessage().results().get(0), "x", "its worker crashed");
    }
    TestOps.Together.LATCHES.put("pool-size", new CountDownLatch(workers));

    // Each batch's item waits for the other's: they pass only when as many workers as before run them at once.
    for (int i = 0; i < workers; i++) {
      pool.tell(new WorkBatch(100 + i, "job-10", 1, new OpRef("together", "{\"id\": \"pool-size\"}"),
          List.of(Item.ofText("item-" + i)), probe.getRef(), noStarts(), MINUTE));
    }
    for (int i = 0; i < workers; i++) {
      WorkResult result = probe.receiveMessage(Duration.ofSeconds(15));
      assertEquals(Status.OK, result.results().get(0).status(), result.results().get(0).error());
    }
  }

  @Test
  void pool_oneWorkerHeldByALongBatch_laterBatchesStartOnTheFreeWorker() {
    ActorRef<WorkBatch> pool = pool(2);
    TestProbe<WorkResult> results = testKit.createTestProbe();
    TestProbe<BatchStarted> first = testKit.createTestProbe();
    TestProbe<BatchStarted> later = testKit.createTestProbe();
    CountDownLatch gate = new CountDownLatch(1);
    TestOps.Gate.GATES.put("long", gate);
    try {
      pool.tell(new WorkBatch(0, "big", 1, new OpRef("gate", "{\"id\": \"long\"}"), List.of(Item.ofText("long")),
          results.getRef(), first.getRef(), MINUTE));
      pool.tell(wordCount(1, results.getRef(), first.getRef()));
      assertEquals(1, results.receiveMessage().batch(), "the batch on the other worker ends first");

      // One worker is held by batch 0, the other is free: both later batches go to the free one, in order.
      pool.tell(wordCount(2, results.getRef(), later.getRef()));
      pool.tell(wordCount(3, results.getRef(), later.getRef()));

      assertEquals(new BatchStarted(2), later.receiveMessage(), "batch 2 waits behind the long batch");
      assertEquals(new BatchStarted(3), later.receiveMessage());
      assertEquals(2, results.receiveMessage().batch());
      assertEquals(3, results.receiveMessage().batch());
    } finally {
      gate.countDown();
    }
    assertEquals(0, results.receiveMessage().batch());
  }

  @Test
  void pool_jobThatComesWhileAnotherHasBatchesQueued_itsBatchGoesFirst() {
    // Straight to the queue, so that the batches are in its mailbox before the gate opens.
    ActorRef<WorkerPool.Command> queue = testKit.spawn(WorkerPool.queue(registry, 1));
    TestProbe<WorkResult> results = testKit.createTestProbe();
    TestProbe<BatchStarted> started = testKit.createTestProbe();
    CountDownLatch gate = new CountDownLatch(1);
    TestOps.Gate.GATES.put("held", gate);
    try {
      queue.tell(new WorkerPool.Run(new WorkBatch(0, "big", 1, new OpRef("gate", "{\"id\": \"held\"}"),
          List.of(Item.ofText("long")), results.getRef(), started.getRef(), MINUTE)));
      assertEquals(new BatchStarted(0), started.receiveMessage());
      queue.tell(new WorkerPool.Run(words(1, "big", 2, results.getRef(), started.getRef())));
      queue.tell(new WorkerPool.Run(words(2, "big", 2, results.getRef(), started.getRef())));
      queue.tell(new WorkerPool.Run(words(3, "small", 1, results.getRef(), started.getRef())));
    } finally {
      gate.countDown();
    }

    // The small job has had nothing yet; the big one has had a batch and has two more queued.
    assertEquals(List.of(new BatchStarted(3), new BatchStarted(1), new BatchStarted(2)),
        started.receiveSeveralMessages(3));
    assertEquals(Set.of(0L, 1L, 2L, 3L),
        results.receiveSeveralMessages(4).stream().map(WorkResult::batch).collect(Collectors.toSet()));
  }

  @Test
  void pool_manyBatchesSomeCrashingTheirWorker_eachIsAnsweredOnce() {
    ActorRef<WorkBatch> pool = pool(3);
    TestProbe<WorkResult> probe = testKit.createTestProbe();
    int batches = 30;

    for (long batch = 0; batch < batches; batch++) {
      // Every fifth batch has no start listener: it breaks its worker.
      pool.tell(wordCount(batch, probe.getRef(), batch % 5 == 0 ? null : noStarts()));
    }

    Set<Long> answered = new HashSet<>();
    for (WorkResult result : probe.receiveSeveralMessages(batches)) {
      assertTrue(answered.add(result.batch()), "batch " + result.batch() + " answered twice");
      if (result.batch() % 5 == 0) {
        assertFailed(result.results().get(0), "one two", "its worker crashed");
      } else {
        assertArrayEquals("2".getBytes(StandardCharsets.US_ASCII), result.results().get(0).payload());
      }
    }
    assertEquals(LongStream.range(0, batches).boxed().collect(Collectors.toSet()), answered);
    probe.expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void pool_manyBatches_areEachAnsweredOnce() {
    ActorRef<WorkBatch> pool = pool(3);
    TestProbe<WorkResult> probe = testKit.createTestProbe();
    int batches = 30;

    for (long batch = 0; batch < batches; batch++) {
      pool.tell(new WorkBatch(batch, "job-7", 1, new OpRef("word-count", "{}"),
          List.of(Item.ofText("one two"), Item.ofText("three")), probe.getRef(), noStarts(), MINUTE));
    }

    Set<Long> answered = new HashSet<>();
    for (WorkResult result : probe.receiveSeveralMessages(batches)) {
      assertTrue(answered.add(result.batch()), "batch " + result.batch() + " answered twice");
      assertArrayEquals("2".getBytes(StandardCharsets.US_ASCII), result.results().get(0).payload());
      assertArrayEquals("1".getBytes(StandardCharsets.US_ASCII), result.results().get(1).payload());
    }
    assertEquals(LongStream.range(0, batches).boxed().collect(Collectors.toSet()), answered);
  }

  private static WorkBatch wordCount(long batch, ActorRef<WorkResult> replyTo, ActorRef<BatchStarted> started) {
    return new WorkBatch(batch, "job-7", 1, new OpRef("word-count", "{}"),
        List.of(Item.ofText("one two"), Item.ofText("three")), replyTo, started, MINUTE);
  }

  private static WorkBatch words(long batch, String jobId, int items, ActorRef<WorkResult> replyTo,
      ActorRef<BatchStarted> started) {
    return new WorkBatch(batch, jobId, 1, new OpRef("word-count", "{}"),
        IntStream.range(0, items).mapToObj(i -> Item.ofText("item " + i)).toList(), replyTo, started, MINUTE);
  }

  private ActorRef<WorkBatch> pool(int workers) {
    return testKit.spawn(WorkerPool.create(registry, NodeSettings.from(ConfigFactory.load()).withWorkers(workers)));
  }

  private static void assertOk(ItemResult result, String keyAndPayload) {
    assertEquals(keyAndPayload, result.key());
    assertEquals(Status.OK, result.status(), () -> "failed with " + result.error());
    assertArrayEquals(keyAndPayload.getBytes(StandardCharsets.UTF_8), result.payload());
    assertNull(result.error());
  }

  private static void assertFailed(ItemResult result, String key, String reasonPart) {
    assertEquals(key, result.key());
    assertEquals(Status.FAILED, result.status());
    assertNull(result.payload());
    assertTrue(result.error().contains(reasonPart), () -> "<" + result.error() + "> lacks <" + reasonPart + ">");
  }

  private static byte[] hexSha256(byte[] payload) throws Exception {
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(payload);
    return String.format("%064x", new BigInteger(1, digest)).getBytes(StandardCharsets.US_ASCII);
  }

  private ActorRef<BatchStarted> noStarts() {
    return testKit.system().deadLetters();
  }
}
