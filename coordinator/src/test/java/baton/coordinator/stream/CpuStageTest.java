package baton.coordinator.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.WorkDispatcher;
import baton.coordinator.metrics.Metrics;
import baton.protocol.op.CpuOp;
import baton.protocol.op.OpKind;
import baton.protocol.spec.JobSpec;
import baton.protocol.spec.OpRef;
import baton.protocol.wire.Item;
import baton.protocol.wire.WorkResult.ItemResult;
import baton.protocol.wire.WorkResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A cpu stage on its own, with a probe for the dispatcher: the test sees each batch the stage asks to run and
 * answers it as a worker would, or not at all.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
final class CpuStageTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final Duration ITEM_TIMEOUT = Duration.ofSeconds(7);
  private static final long MAX_ITEM_BYTES = 1 << 20;
  private static final Duration NEVER = Duration.ofHours(1);
  // An adaptive stage aims at 10 ms of a worker's time per batch, at most 16 items.
  private static final BatchSize.Limits LIMITS = new BatchSize.Limits(16, Duration.ofMillis(10));
  private static final long MILLI = 1_000_000;

  @JUnit5TestKit
  ActorTestKit testKit = ActorTestKit.create();

  private final TestProbe<WorkDispatcher.Command> dispatcher = testKit.createTestProbe();
  private final TestProbe<WorkDispatcher.Waiting> waiting = testKit.createTestProbe();
  private final TestProbe<NodeWorked> worked = testKit.createTestProbe();
  private final CompletableFuture<Object> ended = new CompletableFuture<>();

  private record NodeWorked(String node, int items) {
  }

  @Test
  void batches_moreItemsThanBatch_eachDispatchHoldsAtMostBatchItems() throws Exception {
    CompletionStage<List<Outcome>> run = run(stage(2, 4), 0, MAX_ITEM_BYTES, NEVER, oks("a", "b", "c", "d", "e"));

    List<List<String>> batches = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      WorkDispatcher.Dispatch dispatch = dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT);
      assertEquals("job-1", dispatch.jobId());
      assertEquals(1, dispatch.stage());
      assertEquals(ITEM_TIMEOUT, dispatch.itemTimeout());
      assertEquals(waiting.ref(), dispatch.waitingTo());
      batches.add(keys(dispatch.items()));
      answerAllOk(dispatch, "node-a");
    }
    dispatcher.expectNoMessage(QUIET);

    assertEquals(List.of(List.of("a", "b"), List.of("c", "d"), List.of("e")), batches);
    List<Outcome> outcomes = sorted(await(run));
    assertEquals(5, outcomes.size());
    for (Outcome outcome : outcomes) {
      Outcome.Ok ok = (Outcome.Ok) outcome;
      assertEquals(ok.key() + "!", text(ok.item().payload()));
    }
    assertEquals(5, workedTotal("node-a", 5));
  }

  @Test
  void batches_itemsOverMaxItemBytesTogether_splitByBytes() throws Exception {
    // Each item weighs its key and payload, 1 + 4 bytes: two fit in 12 bytes, a third does not.
    List<Outcome> chunk = new ArrayList<>();
    for (String key : List.of("a", "b", "c", "d", "e")) {
      chunk.add(new Outcome.Ok(chunk.size(), new Item(key, "xxxx".getBytes(StandardCharsets.UTF_8))));
    }
    CompletionStage<List<Outcome>> run = run(stage(10, 4), 0, 12, NEVER, chunk);

    List<List<String>> batches = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      WorkDispatcher.Dispatch dispatch = dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT);
      batches.add(keys(dispatch.items()));
      answerAllOk(dispatch, "node-a");
    }
    dispatcher.expectNoMessage(QUIET);

    assertEquals(List.of(List.of("a", "b"), List.of("c", "d"), List.of("e")), batches);
    assertEquals(5, await(run).size());
  }

  @Test
  void batches_itemOverMaxItemBytes_failsAloneWithoutDispatch() throws Exception {
    List<Outcome> chunk = List.of(
        new Outcome.Ok(0, new Item("a", "xx".getBytes(StandardCharsets.UTF_8))),
        new Outcome.Ok(1, new Item("big", "x".repeat(20).getBytes(StandardCharsets.UTF_8))),
        new Outcome.Ok(2, new Item("c", "xx".getBytes(StandardCharsets.UTF_8))));
    CompletionStage<List<Outcome>> run = run(stage(10, 4), 3, 12, NEVER, chunk);

    WorkDispatcher.Dispatch dispatch = dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT);
    assertEquals(List.of("a", "c"), keys(dispatch.items()));
    answerAllOk(dispatch, "node-a");
    dispatcher.expectNoMessage(QUIET);

    List<Outcome> outcomes = sorted(await(run));
    assertEquals(3, outcomes.size());
    assertTrue(outcomes.get(0) instanceof Outcome.Ok);
    Outcome.Failed big = (Outcome.Failed) outcomes.get(1);
    assertEquals("big", big.key());
    assertEquals(1, big.stage());
    assertEquals("item has 20 bytes, more than a cpu stage takes (baton.cluster.max-item-bytes = 12)", big.reason());
    assertTrue(outcomes.get(2) instanceof Outcome.Ok);
    // The refused item was never on a worker, so no node counts it.
    assertEquals(2, workedTotal("node-a", 2));
  }

  @Test
  void retry_someItemsFailed_onlyThoseAreDispatchedAgain() throws Exception {
    CompletionStage<List<Outcome>> run = run(stage(10, 4), 2, MAX_ITEM_BYTES, NEVER, oks("a", "b", "c"));

    WorkDispatcher.Dispatch first = dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT);
    assertEquals(List.of("a", "b", "c"), keys(first.items()));
    first.replyTo().tell(new WorkResult(1, List.of(ok("a"), ItemResult.failed("b", "boom"), ok("c")), "node-a"));
    // Only the items the worker finished count for it; b is tried again elsewhere.
    assertEquals(new NodeWorked("node-a", 2), worked.expectMessageClass(NodeWorked.class, WAIT));

    WorkDispatcher.Dispatch second = dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT);
    assertEquals(List.of("b"), keys(second.items()));
    second.replyTo().tell(new WorkResult(2, List.of(ItemResult.failed("b", "boom again")), "node-b"));
    // Its second try failed too and is retried: it counts for nobody yet.

    WorkDispatcher.Dispatch third = dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT);
    assertEquals(List.of("b"), keys(third.items()));
    third.replyTo().tell(new WorkResult(3, List.of(ItemResult.failed("b", "boom for the last time")), "node-b"));
    dispatcher.expectNoMessage(QUIET);

    List<Outcome> outcomes = sorted(await(run));
    assertTrue(outcomes.get(0) instanceof Outcome.Ok);
    assertEquals(new Outcome.Failed(1, "b", 1, "boom for the last time", 3), outcomes.get(1), "failed after 3 tries");
    assertTrue(outcomes.get(2) instanceof Outcome.Ok);
    // The second try failed and was retried: it counts for nobody; the last try counts, failed or not.
    assertEquals(new NodeWorked("node-b", 1), worked.expectMessageClass(NodeWorked.class, WAIT));
    worked.expectNoMessage(QUIET);
  }

  @Test
  void retry_laterTrySucceeds_itemPassesOnWithItsNewPayload() throws Exception {
    CompletionStage<List<Outcome>> run = run(stage(10, 4), 1, MAX_ITEM_BYTES, NEVER, oks("a", "b"));

    WorkDispatcher.Dispatch first = dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT);
    first.replyTo().tell(new WorkResult(1, List.of(ItemResult.failed("a", "boom"), ok("b")), "node-a"));
    WorkDispatcher.Dispatch second = dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT);
    assertEquals(List.of("a"), keys(second.items()));
    answerAllOk(second, "node-b");

    List<Outcome> outcomes = sorted(await(run));
    assertEquals("a!", text(((Outcome.Ok) outcomes.get(0)).item().payload()));
    assertEquals("b!", text(((Outcome.Ok) outcomes.get(1)).item().payload()));
    assertEquals(new NodeWorked("node-a", 1), worked.expectMessageClass(NodeWorked.class, WAIT));
    assertEquals(new NodeWorked("node-b", 1), worked.expectMessageClass(NodeWorked.class, WAIT));
  }

  @Test
  void results_fewerThanItems_theItemsWithoutResultFail() throws Exception {
    CompletionStage<List<Outcome>> run = run(stage(10, 4), 0, MAX_ITEM_BYTES, NEVER, oks("a", "b", "c"));

    WorkDispatcher.Dispatch dispatch = dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT);
    dispatch.replyTo().tell(new WorkResult(1, List.of(ok("a")), "node-a"));

    List<Outcome> outcomes = sorted(await(run));
    assertTrue(outcomes.get(0) instanceof Outcome.Ok);
    assertEquals(new Outcome.Failed(1, "b", 1, "the worker on node-a returned 1 results for 3 items"),
        outcomes.get(1));
    assertEquals(new Outcome.Failed(2, "c", 1, "the worker on node-a returned 1 results for 3 items"),
        outcomes.get(2));
    assertEquals(new NodeWorked("node-a", 3), worked.expectMessageClass(NodeWorked.class, WAIT));
  }

  @Test
  void results_forAnotherKey_thatItemFailsAndTheRestMatchByPlace() throws Exception {
    CompletionStage<List<Outcome>> run = run(stage(10, 4), 0, MAX_ITEM_BYTES, NEVER, oks("a", "b", "c"));

    WorkDispatcher.Dispatch dispatch = dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT);
    // A fourth result, beyond the batch's items, is ignored.
    dispatch.replyTo().tell(new WorkResult(1, List.of(ok("a"), ok("x"), ItemResult.dropped("c"), ok("d")),
        "node-a"));

    List<Outcome> outcomes = sorted(await(run));
    assertEquals(3, outcomes.size());
    assertEquals("a!", text(((Outcome.Ok) outcomes.get(0)).item().payload()));
    assertEquals(new Outcome.Failed(1, "b", 1, "the worker on node-a returned a result for key x in its place"),
        outcomes.get(1));
    assertEquals(new Outcome.Dropped(2, "c", 1), outcomes.get(2));
  }

  @Test
  void results_withoutKeys_matchTheItemsByPlace() throws Exception {
    CompletionStage<List<Outcome>> run = run(stage(10, 4), 0, MAX_ITEM_BYTES, NEVER, oks("a", "b", "c"));

    WorkDispatcher.Dispatch dispatch = dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT);
    // As a node's results arrive over the wire: in the batch's order, without their keys.
    dispatch.replyTo().tell(new WorkResult(1, List.of(new ItemResult(null, WorkResult.Status.OK, "a!".getBytes(StandardCharsets.UTF_8), null),
        new ItemResult(null, WorkResult.Status.FAILED, null, "boom"),
        new ItemResult(null, WorkResult.Status.DROPPED, null, null)), "node-a"));

    List<Outcome> outcomes = sorted(await(run));
    assertEquals(3, outcomes.size());
    assertEquals("a", ((Outcome.Ok) outcomes.get(0)).key());
    assertEquals("a!", text(((Outcome.Ok) outcomes.get(0)).item().payload()));
    assertEquals(new Outcome.Failed(1, "b", 1, "boom"), outcomes.get(1));
    assertEquals(new Outcome.Dropped(2, "c", 1), outcomes.get(2));
  }

  @Test
  void ask_dispatcherSilentPastBatchAnswerTimeout_itemsFailWithoutRetry() throws Exception {
    CompletionStage<List<Outcome>> run = run(stage(10, 4), 3, MAX_ITEM_BYTES, Duration.ofMillis(200),
        oks("a", "b"));

    dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT);
    List<Outcome> outcomes = sorted(await(run));
    String reason = "no answer from the dispatcher for its batch in 200 ms (baton.coordinator.batch-answer-timeout)";
    assertEquals(List.of(new Outcome.Failed(0, "a", 1, reason), new Outcome.Failed(1, "b", 1, reason)), outcomes);
    // Retrying a batch the dispatcher never answered would only queue it a second time.
    dispatcher.expectNoMessage(QUIET);
    worked.expectNoMessage(QUIET);
  }

  @Test
  void retry_streamEndedDuringBackoff_noSecondDispatch() throws Exception {
    CompletionStage<List<Outcome>> run = run(stage(10, 4), 3, MAX_ITEM_BYTES, NEVER, oks("a", "b"));

    WorkDispatcher.Dispatch first = dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT);
    ended.complete("cancelled");
    first.replyTo().tell(new WorkResult(1, List.of(ok("a"), ItemResult.failed("b", "boom")), "node-a"));

    List<Outcome> outcomes = sorted(await(run));
    assertTrue(outcomes.get(0) instanceof Outcome.Ok);
    assertEquals(new Outcome.Failed(1, "b", 1, StageRetry.ENDED), outcomes.get(1));
    dispatcher.expectNoMessage(QUIET);
  }

  @Test
  void batch_outcomesOfEarlierStages_passThroughUntouched() throws Exception {
    List<Outcome> chunk = List.of(new Outcome.Failed(0, "a", 0, "failed before"), new Outcome.Dropped(1, "b", 0),
        new Outcome.Ok(2, Item.ofText("c")));
    CompletionStage<List<Outcome>> run = run(stage(10, 4), 0, MAX_ITEM_BYTES, NEVER, chunk);

    WorkDispatcher.Dispatch dispatch = dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT);
    assertEquals(List.of("c"), keys(dispatch.items()));
    answerAllOk(dispatch, "node-a");

    List<Outcome> outcomes = sorted(await(run));
    assertEquals(chunk.get(0), outcomes.get(0));
    assertEquals(chunk.get(1), outcomes.get(1));
    assertEquals("c!", text(((Outcome.Ok) outcomes.get(2)).item().payload()));
  }

  @Test
  void batchSize_fastItemsWithoutBatchSet_doublesPerBatchUpToTheMax() throws Exception {
    // Each batch takes a worker 1 ms, a tenth of the target: the next is twice as large, up to 16 items.
    assertEquals(List.of(4, 8, 16, 16, 16), batchSizes(adaptiveStage(4), 60, items -> MILLI));
  }

  @Test
  void batchSize_slowItemsWithoutBatchSet_shrinksToTheTargetTime() throws Exception {
    // 5 ms an item: 2 items make the 10 ms target; the size halves at most per batch.
    assertEquals(List.of(8, 4, 2, 2, 2, 2), batchSizes(adaptiveStage(8), 20, items -> items * 5 * MILLI));
  }

  @Test
  void batchSize_batchesAtTheTargetTimeWithoutBatchSet_keepTheirSize() throws Exception {
    assertEquals(List.of(4, 4, 4), batchSizes(adaptiveStage(4), 12, items -> 10 * MILLI));
  }

  @Test
  void batchSize_batchSetInTheSpec_neverChangesHoweverFastOrSlow() throws Exception {
    assertEquals(List.of(4, 4, 4, 4), batchSizes(stage(4, 1), 16, items -> 1_000));
    assertEquals(List.of(4, 4, 4, 4), batchSizes(stage(4, 1), 16, items -> 60_000 * MILLI));
  }

  @Test
  void batchSize_workerTimeUnknown_keepsItsSize() throws Exception {
    assertEquals(List.of(4, 4, 4), batchSizes(adaptiveStage(4), 12, items -> 0));
  }

  /**
   * Runs {@code n} items through {@code stage}, answering each batch as a worker that took {@code nanos} (of the
   * batch's items) for it, and answers the number of items in each batch, in order.
   */
  private List<Integer> batchSizes(JobSpec.Stage stage, int n, java.util.function.IntToLongFunction nanos)
      throws Exception {
    String[] keys = new String[n];
    for (int i = 0; i < n; i++) {
      keys[i] = "k" + i;
    }
    CompletionStage<List<Outcome>> run = run(stage, 0, MAX_ITEM_BYTES, NEVER, oks(keys));
    List<Integer> sizes = new ArrayList<>();
    int seen = 0;
    while (seen < n) {
      WorkDispatcher.Dispatch dispatch = dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT);
      int items = dispatch.items().size();
      sizes.add(items);
      seen += items;
      dispatch.replyTo().tell(new WorkResult(1, dispatch.items().stream().map(item -> ok(item.key())).toList(),
          "node-a", nanos.applyAsLong(items)));
    }
    dispatcher.expectNoMessage(QUIET);
    List<Outcome> outcomes = await(run);
    assertEquals(n, outcomes.size());
    assertTrue(outcomes.stream().allMatch(outcome -> outcome instanceof Outcome.Ok));
    return sizes;
  }

  /** A stage whose spec leaves {@code batch} out: it starts at {@code start} items, one batch in flight. */
  private static JobSpec.Stage adaptiveStage(int start) {
    CpuOp same = (key, payload) -> payload;
    return new JobSpec.Stage(1, OpKind.CPU, 1, start, same, new OpRef("sha256", "{}"), Optional.empty(), false);
  }

  private CompletionStage<List<Outcome>> run(JobSpec.Stage stage, int retries, long maxItemBytes,
      Duration batchAnswerTimeout, List<Outcome> chunk) {
    StageRetry retry = new StageRetry(retries, attempt -> Duration.ofMillis(10), testKit.system(), ended);
    CpuStage.Dispatching dispatching = new CpuStage.Dispatching("job-1", 0, dispatcher.ref(), waiting.ref(),
        batchAnswerTimeout, testKit.system().scheduler());
    CpuStage cpu = new CpuStage(stage, dispatching, ITEM_TIMEOUT, maxItemBytes, LIMITS, retry,
        (node, items) -> worked.ref().tell(new NodeWorked(node, items)),
        Metrics.get(testKit.system()).stage(stage.name(), stage.kind()).latency());
    return Source.single(chunk).via(cpu.flow()).runWith(Sink.seq(), testKit.system())
        .thenApply(chunks -> chunks.stream().flatMap(List::stream).toList());
  }

  private static JobSpec.Stage stage(int batch, int parallelism) {
    CpuOp same = (key, payload) -> payload;
    return new JobSpec.Stage(1, OpKind.CPU, parallelism, batch, same, new OpRef("sha256", "{}"));
  }

  private static List<Outcome> oks(String... keys) {
    List<Outcome> chunk = new ArrayList<>();
    for (String key : keys) {
      chunk.add(new Outcome.Ok(chunk.size(), Item.ofText(key)));
    }
    return chunk;
  }

  private static ItemResult ok(String key) {
    return ItemResult.ok(key, (key + "!").getBytes(StandardCharsets.UTF_8));
  }

  private static void answerAllOk(WorkDispatcher.Dispatch dispatch, String node) {
    dispatch.replyTo().tell(new WorkResult(1, dispatch.items().stream().map(item -> ok(item.key())).toList(), node));
  }

  /** Sums what the stage reported for {@code node} until {@code expected} items, then checks nothing more comes. */
  private int workedTotal(String node, int expected) {
    int total = 0;
    while (total < expected) {
      NodeWorked report = worked.expectMessageClass(NodeWorked.class, WAIT);
      assertEquals(node, report.node());
      total += report.items();
    }
    worked.expectNoMessage(QUIET);
    return total;
  }

  private static List<String> keys(List<Item> items) {
    return items.stream().map(Item::key).toList();
  }

  private static List<Outcome> sorted(List<Outcome> outcomes) {
    return outcomes.stream().sorted(Comparator.comparingLong(Outcome::seq)).toList();
  }

  private static List<Outcome> await(CompletionStage<List<Outcome>> run) throws Exception {
    return run.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
