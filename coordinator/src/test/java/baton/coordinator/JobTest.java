package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.coordinator.spec.JobDefaults;
import baton.coordinator.stream.JobStream;
import baton.protocol.op.CpuOp;
import baton.protocol.op.IoOp;
import baton.protocol.op.OpKind;
import baton.protocol.spec.JobSpec;
import baton.protocol.spec.OpRef;
import baton.protocol.wire.BatchStarted;
import baton.protocol.wire.Pull;
import baton.protocol.wire.ServiceKeys;
import baton.protocol.wire.WorkBatch;
import baton.protocol.wire.WorkResult.ItemResult;
import baton.protocol.wire.WorkResult;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * One job actor and its stream, over io ops the test controls: a gate whose calls complete only when the test
 * releases them, so what is in flight at a moment is seen directly instead of guessed from timings.
 */
// One instance per class: TestKitJUnit5Extension shuts down only the last instance's test kit.
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
final class JobTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Duration QUIET = Duration.ofMillis(300);

  @TempDir
  Path dir;

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(Journal.withDatabase(ConfigFactory.load())).build();

  /** One call of the gate op: the item's key and the stage the test completes. */
  private record Started(String key, CompletableFuture<byte[]> result) {
    void release() {
      result.complete((key + "!").getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void job_ioStageWithParallelismN_allNItemsInFlightAtOnceThenSucceeded() {
    int n = 40;
    TestProbe<Started> calls = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();

    ActorRef<Job.Command> job = spawn("all-at-once", n, gate(calls), n, 0, 0, finished);

    List<Started> inFlight = calls.receiveSeveralMessages(n, WAIT);
    assertEquals(n, inFlight.stream().map(Started::key).distinct().count());
    assertTrue(inFlight.stream().noneMatch(started -> started.result().isDone()));
    JobStatus running = status(job);
    assertEquals(JobState.RUNNING, running.state());
    assertEquals(0, running.items().succeeded());
    assertEquals(n, running.items().total());
    assertNull(running.finishedAt());

    inFlight.forEach(Started::release);

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.SUCCEEDED, done.state());
    assertEquals(new JobStatus.Items(n, n, 0, 0, 0), done.items());
    ItemCounts.assertAddUp(done);
    assertEquals(List.of(new JobStatus.StageStatus("gate", OpKind.IO, n, 0)), done.stages());
    assertNull(done.error());
    assertNotNull(done.startedAt());
    assertNotNull(done.finishedAt());
    assertEquals(done, status(job), "a finished job keeps answering with its final status");
  }

  @Test
  void job_parallelismBelowItems_neverMoreInFlightThanParallelism() {
    int n = 12;
    int parallelism = 3;
    TestProbe<Started> calls = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();

    spawn("bounded", n, gate(calls), parallelism, 0, 0, finished);

    List<Started> inFlight = new java.util.ArrayList<>(calls.receiveSeveralMessages(parallelism, WAIT));
    Set<String> seen = new HashSet<>();
    inFlight.forEach(started -> seen.add(started.key()));
    while (!inFlight.isEmpty()) {
      calls.expectNoMessage(QUIET);
      inFlight.remove(0).release();
      if (seen.size() < n) {
        Started next = calls.expectMessageClass(Started.class, WAIT);
        assertTrue(seen.add(next.key()), "started twice: " + next.key());
        inFlight.add(next);
      }
    }

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.SUCCEEDED, done.state());
    assertEquals(n, seen.size());
    assertEquals(new JobStatus.Items(n, n, 0, 0, 0), done.items());
    ItemCounts.assertAddUp(done);
  }

  @Test
  void job_moreFailuresThanMaxFailedItems_failedWithError() {
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    IoOp failing = (key, payload, io) -> CompletableFuture.failedFuture(new IOException("cannot fetch " + key));

    spawn("too-many-failures", 5, failing, 1, 1, 0, finished);

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.FAILED, done.state());
    assertEquals("stopped after 2 items failed (max-failed-items = 1)", done.error());
    assertTrue(done.items().failed() >= 2, done.toString());
    assertEquals(0, done.items().succeeded());
    ItemCounts.assertAddUp(done);
    assertEquals(done.items().failed(), done.stages().get(0).failed());
  }

  @Test
  void job_tooManyFailuresWhileOthersAreInFlight_failedWithoutWaitingForThem() {
    int n = 5;
    TestProbe<Started> calls = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    spawn("fails-early", n, gate(calls), n, 0, 0, finished);
    List<Started> inFlight = calls.receiveSeveralMessages(n, WAIT);

    inFlight.get(0).result().completeExceptionally(new IOException("gone"));

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.FAILED, done.state());
    assertEquals("stopped after 1 item failed (max-failed-items = 0)", done.error());
    assertEquals(new JobStatus.Items(n, 0, 1, 0, n - 1), done.items());
    ItemCounts.assertAddUp(done);
  }

  @Test
  void job_failuresWithinMaxFailedItems_succeededCountingThem() {
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    IoOp evenFails = (key, payload, io) -> Long.parseLong(key) % 2 == 0
        ? CompletableFuture.failedFuture(new IOException("even " + key))
        : CompletableFuture.completedFuture(payload);

    spawn("some-failures", 10, evenFails, 4, 5, 1, finished);

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.SUCCEEDED, done.state());
    assertEquals(new JobStatus.Items(10, 5, 5, 0, 0), done.items());
    ItemCounts.assertAddUp(done);
    assertEquals(List.of(new JobStatus.StageStatus("gate", OpKind.IO, 5, 5)), done.stages());
    assertNull(done.error());
  }

  @Test
  void job_itemFailingOnceWithARetryLeft_succeeded() {
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    Set<String> failedOnce = ConcurrentHashMap.newKeySet();
    IoOp flaky = (key, payload, io) -> failedOnce.add(key)
        ? CompletableFuture.failedFuture(new IOException("first try of " + key))
        : CompletableFuture.completedFuture(payload);

    spawn("flaky", 6, flaky, 6, 0, 1, finished);

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.SUCCEEDED, done.state());
    assertEquals(new JobStatus.Items(6, 6, 0, 0, 0), done.items());
    ItemCounts.assertAddUp(done);
    assertEquals(6, failedOnce.size());
  }

  @Test
  void job_itemSlowerThanItemTimeout_failsWithTimeoutReasonInTheLog() {
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    IoOp never = (key, payload, io) -> new CompletableFuture<>();

    JobStatus done = LoggingTestKit.warn("item failed: key 1 in stage 1 (gate): timed out after 150 ms")
        .expect(testKit.system(), () -> {
          spawn("slow", 1, never, 1, 0, 0, Duration.ofMillis(150), finished);
          return finished.expectMessageClass(JobStatus.class, WAIT);
        });

    assertEquals(JobState.FAILED, done.state());
    assertEquals(new JobStatus.Items(1, 0, 1, 0, 0), done.items());
    ItemCounts.assertAddUp(done);
  }

  @Test
  void job_cancelWhileRunning_cancelledWithCountsSoFar() {
    int n = 10;
    TestProbe<Started> calls = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    ActorRef<Job.Command> job = spawn("cancelled", n, gate(calls), n, 0, 0, finished);
    List<Started> inFlight = calls.receiveSeveralMessages(n, WAIT);
    inFlight.subList(0, 3).forEach(Started::release);
    calls.awaitAssert(WAIT, () -> {
      assertEquals(3, status(job).items().succeeded());
      return null;
    });

    job.tell(new Job.Cancel("cancelled by the test"));

    JobStatus cancelled = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.CANCELLED, cancelled.state());
    assertEquals("cancelled by the test", cancelled.error());
    assertEquals(new JobStatus.Items(n, 3, 0, 0, n - 3), cancelled.items());
    ItemCounts.assertAddUp(cancelled);
    assertEquals(List.of(new JobStatus.StageStatus("gate", OpKind.IO, 3, 0)), cancelled.stages());
    inFlight.subList(3, n).forEach(Started::release);
    finished.expectNoMessage(QUIET);
    assertEquals(cancelled, status(job), "items released after the cancel change nothing");
  }

  @Test
  void job_cancelAfterTheEnd_keepsTheEndState() {
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    ActorRef<Job.Command> job = spawn("quick", 3, (key, payload, io) -> CompletableFuture.completedFuture(payload),
        3, 0, 0, finished);
    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);

    job.tell(new Job.Cancel("too late"));

    assertEquals(JobState.SUCCEEDED, done.state());
    ItemCounts.assertAddUp(done);
    assertEquals(done, status(job));
  }

  @Test
  void job_cancelWhileItsStartIsWritten_noOpCalledAndCancelledWithEveryItemNotRun() {
    int n = 5;
    TestProbe<Started> calls = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();

    testKit.spawn(Behaviors.intercept(CancelOnStart::new, job("cancel-at-start", n, ioStage(gate(calls), n), 0, 0,
        Duration.ofMinutes(1), settings(Duration.ofMillis(10)),
        testKit.<WorkDispatcher.Command>createTestProbe().ref(), finished)));

    calls.expectNoMessage(QUIET);
    JobStatus cancelled = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.CANCELLED, cancelled.state());
    assertEquals("cancelled as it starts", cancelled.error());
    assertEquals(new JobStatus.Items(n, 0, 0, 0, n), cancelled.items());
    ItemCounts.assertAddUp(cancelled);
    calls.expectNoMessage(QUIET);
  }

  @Test
  void job_cancelWhileAnItemWaitsForItsRetry_theRetryNeverCallsTheOp() {
    TestProbe<Started> calls = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    Duration backoff = Duration.ofMillis(1500);
    ActorRef<Job.Command> job = testKit.spawn(job("cancel-in-backoff", 1, ioStage(gate(calls), 1), 0, 1,
        Duration.ofMinutes(1), settings(backoff), testKit.<WorkDispatcher.Command>createTestProbe().ref(),
        finished));
    calls.expectMessageClass(Started.class, WAIT).result().completeExceptionally(new IOException("try again"));

    job.tell(new Job.Cancel("cancelled during the backoff"));

    JobStatus cancelled = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.CANCELLED, cancelled.state());
    assertEquals(new JobStatus.Items(1, 0, 0, 0, 1), cancelled.items());
    calls.expectNoMessage(backoff.plusMillis(500));
  }

  @Test
  void job_cancelBeforeTheInputIsAllRead_totalKeptAndTheRestNotRun() {
    int n = 1000;
    TestProbe<Started> calls = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    ActorRef<Job.Command> job = spawn("cancel-early", n, gate(calls), 2, 0, 0, finished);
    calls.receiveSeveralMessages(2, WAIT).get(0).release();
    calls.expectMessageClass(Started.class, WAIT);
    calls.awaitAssert(WAIT, () -> {
      assertEquals(1, status(job).items().succeeded());
      return null;
    });

    job.tell(new Job.Cancel("cancelled by the test"));

    JobStatus cancelled = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.CANCELLED, cancelled.state());
    assertEquals(new JobStatus.Items(n, 1, 0, 0, n - 1), cancelled.items());
    ItemCounts.assertAddUp(cancelled);
  }

  @Test
  void job_linesInputCancelledBeforeItIsAllRead_totalIsEveryLineAndTheRestNotRun() throws IOException {
    int n = 20_000;
    Path lines = Files.write(dir.resolve("lines.txt"), IntStream.rangeClosed(1, n).mapToObj(Integer::toString)
        .toList());
    TestProbe<Started> calls = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    ActorRef<Job.Command> job = testKit.spawn(job("lines-cancelled", new JobSpec.Lines(lines),
        ioStage(gate(calls), 2), 0, 0, Duration.ofMinutes(1), settings(Duration.ofMillis(10)),
        testKit.<WorkDispatcher.Command>createTestProbe().ref(), finished));
    calls.receiveSeveralMessages(2, WAIT).get(0).release();
    calls.expectMessageClass(Started.class, WAIT);
    calls.awaitAssert(WAIT, () -> {
      assertEquals(1, status(job).items().succeeded());
      return null;
    });

    job.tell(new Job.Cancel("cancelled by the test"));

    JobStatus cancelled = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.CANCELLED, cancelled.state());
    assertEquals(new JobStatus.Items(n, 1, 0, 0, n - 1), cancelled.items());
    ItemCounts.assertAddUp(cancelled);
  }

  @Test
  void job_stoppedByMaxFailedItems_theItemsItDidNotRunAreCounted() {
    int n = 6;
    TestProbe<Started> calls = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    spawn("stopped-early", n, gate(calls), 2, 1, 0, finished);

    calls.receiveSeveralMessages(2, WAIT).forEach(started -> started.result()
        .completeExceptionally(new IOException("cannot fetch " + started.key())));

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.FAILED, done.state());
    assertEquals("stopped after 2 items failed (max-failed-items = 1)", done.error());
    assertEquals(new JobStatus.Items(n, 0, 2, 0, n - 2), done.items());
    ItemCounts.assertAddUp(done);
  }

  @Test
  void job_itemsFailingWhileTheStopIsWritten_eachLoggedWithTheJobIdKeyAndReason() {
    int n = 3;
    TestProbe<Started> calls = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();

    JobStatus done = LoggingTestKit.warn("item failed: key").withMdc(Map.of("jobId", "three-fail"))
        .withOccurrences(n).expect(testKit.system(), () -> {
          spawn("three-fail", n, gate(calls), n, 0, 0, finished);
          calls.receiveSeveralMessages(n, WAIT).forEach(started -> started.result()
              .completeExceptionally(new IOException("no such file: " + started.key())));
          return finished.expectMessageClass(JobStatus.class, WAIT);
        });

    assertEquals(JobState.FAILED, done.state());
    assertEquals(new JobStatus.Items(n, 0, n, 0, 0), done.items());
    assertEquals("stopped after 1 item failed (max-failed-items = 0)", done.error());
    ItemCounts.assertAddUp(done);
  }

  @Test
  void job_cpuItemsRetriedOnce_stageAndNodeCountEachItemOnce() {
    int n = 6;
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    JobSpec.Stage cpu = new JobSpec.Stage(1, OpKind.CPU, 2, 2, (CpuOp) (key, payload) -> payload,
        new OpRef("echo", "{}"));

    testKit.spawn(job("retried-cpu", n, cpu, 0, 1, Duration.ofMinutes(1), settings(Duration.ofMillis(10)),
        testKit.spawn(failingFirstTries()), finished));

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.SUCCEEDED, done.state(), done.toString());
    assertEquals(new JobStatus.Items(n, n, 0, 0, 0), done.items());
    assertEquals(List.of(new JobStatus.StageStatus("echo", OpKind.CPU, n, 0)), done.stages());
    assertEquals(List.of(new JobStatus.NodeItems("node-a", n)), done.nodes());
  }

  @Test
  void job_smallInputWithoutBatchSetAndFastItems_stillSpreadsOverAtLeast64Batches() {
    int n = 640;
    TestProbe<Integer> batches = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    JobSpec.Stage cpu = new JobSpec.Stage(1, OpKind.CPU, 2, 256, (CpuOp) (key, payload) -> payload,
        new OpRef("echo", "{}"), Optional.empty(), false);

    testKit.spawn(job("small-fast", n, cpu, 0, 0, Duration.ofMinutes(1), settings(Duration.ofMillis(10)),
        testKit.spawn(instantWorker(batches.ref())), finished));

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.SUCCEEDED, done.state(), done.toString());
    ItemCounts.assertAddUp(done);
    // Items a worker does in a microsecond would grow the batches, but no batch takes more than a 64th of the input.
    List<Integer> sizes = batches.receiveSeveralMessages(64, WAIT);
    batches.expectNoMessage(Duration.ofMillis(200));
    assertEquals(n, sizes.stream().mapToInt(Integer::intValue).sum());
    assertTrue(sizes.stream().allMatch(size -> size <= n / 64), sizes.toString());
  }

  @Test
  void job_specWithPriority_asksTheDispatcherWithThatPriority() {
    TestProbe<WorkDispatcher.Command> dispatcher = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    spawnCpu("prioritized", new JobSpec.Range(1, 1), 1, 0, 0, Duration.ofMinutes(1), -300, dispatcher.ref(),
        finished);

    assertEquals(-300, dispatcher.expectMessageClass(WorkDispatcher.Dispatch.class, WAIT).priority());
  }

  @Test
  void job_cpuBatchQueuedLongerThanItemTimeoutWithNoNode_runsOnceWhenANodeComes() {
    ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create());
    ActorRef<Pull> pulls = pullsOf(dispatcher);
    TestProbe<WorkBatch> node = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    spawnCpu("queued-long", new JobSpec.Range(1, 1), 1, 0, 2, Duration.ofMillis(200), dispatcher, finished);

    // Five item-timeouts without a node: no timeout, no retry burned, the job just waits.
    finished.expectNoMessage(Duration.ofSeconds(1));
    pulls.tell(Pull.fullLoad(node.getRef(), 2, 1));
    WorkBatch batch = node.receiveMessage(WAIT);
    batch.started().tell(new BatchStarted(batch.batch()));
    answer(batch, batch.items().size(), pulls, node);

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.SUCCEEDED, done.state(), String.valueOf(done.error()));
    assertEquals(1, done.items().succeeded());
    assertEquals(0, done.items().failed());
    node.expectNoMessage(QUIET);
    testKit.stop(dispatcher);
  }

  @Test
  void job_cpuItemSlowerThanItemTimeout_timesOutAndOnlyItsRetryRunsAgain() {
    ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create());
    ActorRef<Pull> pulls = pullsOf(dispatcher);
    TestProbe<WorkBatch> node = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    pulls.tell(Pull.fullLoad(node.getRef(), 1, 1));
    spawnCpu("slow-cpu", new JobSpec.Range(1, 2), 1, 0, 1, Duration.ofMillis(300), dispatcher, finished);

    WorkBatch slow = node.receiveMessage(WAIT);
    // The slow item times out 300 ms after its start; the other batch waits in the queue for the node's only credit.
    LoggingTestKit.warn("timed out on node").withMdc(Map.of("jobId", "slow-cpu")).expect(testKit.system(), () -> {
      slow.started().tell(new BatchStarted(slow.batch()));
      return null;
    });
    node.expectNoMessage(QUIET);
    answer(slow, 1, pulls, node);
    WorkBatch other = node.receiveMessage(WAIT);
    other.started().tell(new BatchStarted(other.batch()));
    answer(other, 1, pulls, node);
    WorkBatch retry = node.receiveMessage(WAIT);
    retry.started().tell(new BatchStarted(retry.batch()));
    answer(retry, 1, pulls, node);

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.SUCCEEDED, done.state(), String.valueOf(done.error()));
    assertEquals(2, done.items().succeeded());
    assertEquals(List.of("1", "2", "1"), List.of(slow, other, retry).stream()
        .map(batch -> batch.items().get(0).key()).toList());
    node.expectNoMessage(QUIET);
    testKit.stop(dispatcher);
  }

  @Test
  void job_cpuStageWithNoNodeConnected_statusAndJobLogSayItWaitsForWorkers() {
    ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create());
    ActorRef<Pull> pulls = pullsOf(dispatcher);
    TestProbe<WorkBatch> node = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();

    ActorRef<Job.Command> job = LoggingTestKit.info("waiting for workers: 0 nodes")
        .withMdc(Map.of("jobId", "no-nodes"))
        .expect(testKit.system(), () -> spawnCpu("no-nodes", new JobSpec.Range(1, 1), 1, 0, 0,
            Duration.ofMillis(100), dispatcher, finished));
    assertEquals("waiting for workers: 0 nodes", status(job).waiting());

    LoggingTestKit.info("workers came: 1 node").withMdc(Map.of("jobId", "no-nodes")).expect(testKit.system(),
        () -> {
          pulls.tell(Pull.fullLoad(node.getRef(), 2, 1));
          return null;
        });
    assertNull(status(job).waiting());
    WorkBatch batch = node.receiveMessage(WAIT);
    batch.started().tell(new BatchStarted(batch.batch()));
    answer(batch, 1, pulls, node);
    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.SUCCEEDED, done.state(), String.valueOf(done.error()));
    assertNull(done.waiting());
    testKit.stop(dispatcher);
  }

  @Test
  void job_workerAnswersFewerResultsThanItems_onlyTheMissingItemFails(@TempDir Path dir) throws IOException {
    ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create());
    ActorRef<Pull> pulls = pullsOf(dispatcher);
    TestProbe<WorkBatch> node = testKit.createTestProbe();
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    Path lines = Files.writeString(dir.resolve("lines.txt"), "a\nb\nc\n");
    pulls.tell(Pull.fullLoad(node.getRef(), 2, 1));

    JobStatus done = LoggingTestKit
        .warn("item failed: key c in stage 1 (sha256): the worker on node-a returned 2 results for 3 items")
        .expect(testKit.system(), () -> {
          spawnCpu("short-result", new JobSpec.Lines(lines), 3, 1, 0, Duration.ofMinutes(1), dispatcher, finished);
          WorkBatch batch = node.receiveMessage(WAIT);
          assertEquals(3, batch.items().size());
          answer(batch, 2, pulls, node);
          return finished.expectMessageClass(JobStatus.class, WAIT);
        });

    assertEquals(JobState.SUCCEEDED, done.state(), String.valueOf(done.error()));
    assertEquals(2, done.items().succeeded());
    assertEquals(1, done.items().failed());
    testKit.stop(dispatcher);
  }

  @Test
  void status_slowIoStageAtItsParallelism_namedTheBottleneckWithItsCallsInFlight() {
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    JobSpec.Stage slow = new JobSpec.Stage(1, OpKind.IO, 2, 1, delay(Duration.ofMillis(40)),
        new OpRef("slow", "{}"));
    ActorRef<Job.Command> job = testKit.spawn(job("slow-io", 10_000, slow, 0, 0, Duration.ofMinutes(1),
        settings(Duration.ofMillis(10)), testKit.<WorkDispatcher.Command>createTestProbe().ref(), finished));

    JobStatus running = awaitStatus(job, status -> status.bottleneck() != null);

    assertEquals("slow", running.bottleneck(), running.toString());
    assertEquals(2, running.stages().get(0).inFlight(), running.toString());
    assertEquals(2, running.stages().get(0).parallelism(), running.toString());
    assertTrue(running.itemsPerSecond() > 0, running.toString());
    job.tell(new Job.Cancel("seen"));
    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.CANCELLED, done.state());
    assertNull(done.bottleneck());
    assertNull(done.etaMillis());
    assertNull(done.stages().get(0).inFlight());
    assertEquals(List.of("ACCEPTED", "RUNNING", "STOPPING"), List.copyOf(done.stateMillis().keySet()),
        done.toString());
  }

  @Test
  void status_cpuStageSlowerThanTheIoStageBeforeIt_bottleneckIsTheCpuStageNotTheIoStage() {
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    CpuOp same = (key, payload) -> payload;
    JobSpec spec = new JobSpec("cpu-bound", new JobSpec.Range(1, 10_000),
        List.of(new JobSpec.Stage(1, OpKind.IO, 4, 1, delay(Duration.ZERO), new OpRef("fast", "{}")),
            new JobSpec.Stage(2, OpKind.CPU, 2, 1, same, new OpRef("echo", "{}"))),
        Optional.empty(), 0, 0, Duration.ofMinutes(1), "(built by the test)");
    JobStream.Runtime runtime = new JobStream.Runtime(testKit.system(), new IoRuntime(testKit.system()),
        testKit.spawn(slowWorker(Duration.ofMillis(30))), settings(Duration.ofMillis(10)));
    ActorRef<Job.Command> job = testKit.spawn(Job.create("cpu-bound", spec, runtime, Instant.now(),
        finished.ref()));

    JobStatus running = awaitStatus(job, status -> status.bottleneck() != null);

    assertEquals("echo", running.bottleneck(), running.toString());
    assertEquals(2, running.stages().get(1).inFlight(), running.toString());
    job.tell(new Job.Cancel("seen"));
    assertEquals(JobState.CANCELLED, finished.expectMessageClass(JobStatus.class, WAIT).state());
  }

  @Test
  void status_whileRunning_itemsPerSecondPositiveAndEtaFallsThenEtaNullOnceEnded() {
    int n = 600;
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    JobSpec.Stage slow = new JobSpec.Stage(1, OpKind.IO, 4, 1, delay(Duration.ofMillis(20)),
        new OpRef("slow", "{}"));
    ActorRef<Job.Command> job = testKit.spawn(job("paced", n, slow, 0, 0, Duration.ofMinutes(1),
        settings(Duration.ofMillis(10)), testKit.<WorkDispatcher.Command>createTestProbe().ref(), finished));

    JobStatus early = awaitStatus(job, status -> status.etaMillis() != null);
    long doneEarly = early.items().succeeded();
    JobStatus later = awaitStatus(job, status -> status.items().succeeded() >= doneEarly + n / 3
        || status.state().isFinal());

    assertTrue(early.itemsPerSecond() > 0, early.toString());
    assertTrue(later.etaMillis() != null && later.etaMillis() < early.etaMillis(),
        "ETA " + early.etaMillis() + " ms, then " + later.etaMillis() + " ms");
    assertTrue(later.stateMillis().get("RUNNING") >= 0, later.toString());
    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.SUCCEEDED, done.state());
    assertNull(done.etaMillis());
    assertNull(done.bottleneck());
    assertEquals(n * 1000.0 / done.durationMillis(), done.itemsPerSecond(), 1e-6, done.toString());
    assertEquals(List.of("ACCEPTED", "RUNNING"), List.copyOf(done.stateMillis().keySet()), done.toString());
    assertEquals(done.durationMillis(), done.stateMillis().get("RUNNING"), done.toString());
  }

  /** Answers a batch as a node would, with results for its first {@code results} items, and pulls one more. */
  private static void answer(WorkBatch batch, int results, ActorRef<Pull> pulls, TestProbe<WorkBatch> node) {
    batch.replyTo().tell(new WorkResult(batch.batch(), batch.items().subList(0, results).stream()
        .map(item -> WorkResult.ItemResult.ok(item.key(), item.payload())).toList(), "node-a"));
    pulls.tell(Pull.oneMore(node.getRef(), 1, batch.batch()));
  }

  /** Where nodes pull from the given dispatcher: its adapter as the Receptionist lists it. */
  private ActorRef<Pull> pullsOf(ActorRef<WorkDispatcher.Command> dispatcher) {
    TestProbe<Receptionist.Listing> listings = testKit.createTestProbe();
    return listings.awaitAssert(WAIT, () -> {
      testKit.system().receptionist().tell(Receptionist.find(ServiceKeys.DISPATCHER, listings.getRef()));
      return listings.receiveMessage().getServiceInstances(ServiceKeys.DISPATCHER).stream()
          .filter(pulls -> pulls.path().parent().equals(dispatcher.path())).findFirst().orElseThrow();
    });
  }

  private ActorRef<Job.Command> spawnCpu(String name, JobSpec.Input input, int batch, int maxFailed, int retries,
      Duration itemTimeout, ActorRef<WorkDispatcher.Command> dispatcher, TestProbe<JobStatus> finished) {
    return spawnCpu(name, input, batch, maxFailed, retries, itemTimeout, 0, dispatcher, finished);
  }

  private ActorRef<Job.Command> spawnCpu(String name, JobSpec.Input input, int batch, int maxFailed, int retries,
      Duration itemTimeout, int priority, ActorRef<WorkDispatcher.Command> dispatcher,
      TestProbe<JobStatus> finished) {
    CpuOp same = (key, payload) -> payload;
    JobSpec spec = new JobSpec(name, input,
        List.of(new JobSpec.Stage(1, OpKind.CPU, 2, batch, same, new OpRef("sha256", "{}"))),
        Optional.empty(), maxFailed, retries, itemTimeout, priority, "(built by the test)");
    CoordinatorSettings settings = new CoordinatorSettings(JobDefaults.from(testKit.system().settings().config()),
        Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofHours(1), Duration.ZERO, Duration.ofMillis(50), 1 << 20,
        10, 1 << 20, Duration.ofHours(1), Duration.ofSeconds(20), Duration.ofSeconds(3), Duration.ofSeconds(5),
        Duration.ofSeconds(5), 8);
    JobStream.Runtime runtime = new JobStream.Runtime(testKit.system(), new IoRuntime(testKit.system()), dispatcher,
        settings);
    return testKit.spawn(Job.create(name, spec, runtime, Instant.now(), finished.ref()));
  }

  private static IoOp gate(TestProbe<Started> calls) {
    return (key, payload, io) -> {
      CompletableFuture<byte[]> result = new CompletableFuture<>();
      calls.ref().tell(new Started(key, result));
      return result;
    };
  }

  private ActorRef<Job.Command> spawn(String name, int items, IoOp op, int parallelism, int maxFailed, int retries,
      TestProbe<JobStatus> finished) {
    return spawn(name, items, op, parallelism, maxFailed, retries, Duration.ofMinutes(1), finished);
  }

  private ActorRef<Job.Command> spawn(String name, int items, IoOp op, int parallelism, int maxFailed, int retries,
      Duration itemTimeout, TestProbe<JobStatus> finished) {
    return testKit.spawn(job(name, items, ioStage(op, parallelism), maxFailed, retries, itemTimeout,
        settings(Duration.ofMillis(10)), testKit.<WorkDispatcher.Command>createTestProbe().ref(), finished));
  }

  private static JobSpec.Stage ioStage(IoOp op, int parallelism) {
    return new JobSpec.Stage(1, OpKind.IO, parallelism, 1, op, new OpRef("gate", "{}"));
  }

  private Behavior<Job.Command> job(String name, int items, JobSpec.Stage stage, int maxFailed, int retries,
      Duration itemTimeout, CoordinatorSettings settings, ActorRef<WorkDispatcher.Command> dispatcher,
      TestProbe<JobStatus> finished) {
    return job(name, new JobSpec.Range(1, items), stage, maxFailed, retries, itemTimeout, settings, dispatcher,
        finished);
  }

  private Behavior<Job.Command> job(String name, JobSpec.Input input, JobSpec.Stage stage, int maxFailed,
      int retries, Duration itemTimeout, CoordinatorSettings settings, ActorRef<WorkDispatcher.Command> dispatcher,
      TestProbe<JobStatus> finished) {
    JobSpec spec = new JobSpec(name, input, List.of(stage), Optional.empty(), maxFailed, retries, itemTimeout,
        "(built by the test)");
    JobStream.Runtime runtime = new JobStream.Runtime(testKit.system(), new IoRuntime(testKit.system()),
        dispatcher, settings);
    return Job.create(name, spec, runtime, Instant.now(), finished.ref());
  }

  /** Counts reach the actor after every item, so a status shows exactly what the stream has done. */
  private CoordinatorSettings settings(Duration retryBackoff) {
    return new CoordinatorSettings(JobDefaults.from(testKit.system().settings().config()), retryBackoff,
        retryBackoff.multipliedBy(5), Duration.ofHours(1), Duration.ZERO, Duration.ofMillis(50), 1 << 20, 10,
        1 << 20, Duration.ofHours(1), Duration.ofSeconds(20), Duration.ofSeconds(3), Duration.ofSeconds(5),
        Duration.ofSeconds(5), 8);
  }

  /** Cancels the job as it takes its own Start, so the cancel waits in the mailbox while Started is written. */
  private static final class CancelOnStart extends BehaviorInterceptor<Job.Command, Job.Command> {
    CancelOnStart() {
      super(Job.Command.class);
    }

    @Override
    public Behavior<Job.Command> aroundReceive(TypedActorContext<Job.Command> context, Job.Command message,
        ReceiveTarget<Job.Command> target) {
      if (message == Job.Start.INSTANCE) {
        context.asJava().getSelf().tell(new Job.Cancel("cancelled as it starts"));
      }
      return target.apply(context, message);
    }
  }

  /** A dispatcher whose one node runs each batch at once, saying it took a microsecond, and tells its size. */
  private static Behavior<WorkDispatcher.Command> instantWorker(ActorRef<Integer> sizes) {
    return Behaviors.receive(WorkDispatcher.Command.class)
        .onMessage(WorkDispatcher.Dispatch.class, dispatch -> {
          sizes.tell(dispatch.items().size());
          dispatch.replyTo().tell(new WorkResult(1, dispatch.items().stream()
              .map(item -> ItemResult.ok(item.key(), item.payload())).toList(), "node-a", 1_000));
          return Behaviors.same();
        })
        .onAnyMessage(message -> Behaviors.same())
        .build();
  }

  /** A dispatcher whose one node fails each item's first try and passes it on at the second. */
  private static Behavior<WorkDispatcher.Command> failingFirstTries() {
    Set<String> tried = new HashSet<>();
    return Behaviors.receive(WorkDispatcher.Command.class)
        .onMessage(WorkDispatcher.Dispatch.class, dispatch -> {
          dispatch.replyTo().tell(new WorkResult(1, dispatch.items().stream()
              .map(item -> tried.add(item.key()) ? ItemResult.failed(item.key(), "first try")
                  : ItemResult.ok(item.key(), item.payload()))
              .toList(), "node-a"));
          return Behaviors.same();
        })
        .onAnyMessage(message -> Behaviors.same())
        .build();
  }

  private static IoOp delay(Duration delay) {
    return (key, payload, io) -> io.delay(delay).thenApply(done -> payload);
  }

  /** A dispatcher whose one node takes {@code took} for each batch. */
  private static Behavior<WorkDispatcher.Command> slowWorker(Duration took) {
    return Behaviors.setup(context -> Behaviors.receive(WorkDispatcher.Command.class)
        .onMessage(WorkDispatcher.Dispatch.class, dispatch -> {
          context.scheduleOnce(took, dispatch.replyTo(), new WorkResult(1, dispatch.items().stream()
              .map(item -> ItemResult.ok(item.key(), item.payload())).toList(), "node-a", took.toNanos()));
          return Behaviors.same();
        })
        .onAnyMessage(message -> Behaviors.same())
        .build());
  }

  private JobStatus awaitStatus(ActorRef<Job.Command> job, java.util.function.Predicate<JobStatus> check) {
    return testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      JobStatus status = status(job);
      assertTrue(check.test(status), status.toString());
      return status;
    });
  }

  private JobStatus status(ActorRef<Job.Command> job) {
    TestProbe<Optional<JobStatus>> reply = testKit.createTestProbe();
    job.tell(new Job.GetStatus(reply.ref()));
    Optional<JobStatus> status = reply.receiveMessage(WAIT);
    assertFalse(status.isEmpty());
    return status.get();
  }
}
