package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import baton.protocol.wire.WorkResult;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A stage's {@code rate}: the test records when each op call happens and counts the calls in every window of one
 * period (from each call on), so the limit is checked by counting, never by how long the whole job took.
 */
// One instance per class: TestKitJUnit5Extension shuts down only the last instance's test kit.
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
final class RateLimitTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final JobSpec.Rate TWENTY_PER_100MS = new JobSpec.Rate(20, Duration.ofMillis(100), "20/100ms");
  // A call may start up to one token early (after a late timer), and on a loaded machine the time recorded for a call
  // may lag the moment the gate let it through.
  private static final int SLACK = 3;

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(Journal.withDatabase(ConfigFactory.load())).build();

  @Test
  void rate_ioStageWithRate_noWindowOfOnePeriodHoldsMoreCallsThanTheLimit() {
    int n = 200;
    ConcurrentLinkedQueue<Long> calls = new ConcurrentLinkedQueue<>();
    JobSpec.Stage stage = new JobSpec.Stage(1, OpKind.IO, 100, 1, recording(calls, false), new OpRef("gate", "{}"),
        Optional.of(TWENTY_PER_100MS));
    TestProbe<JobStatus> finished = testKit.createTestProbe();

    testKit.spawn(job("io-rate", n, List.of(stage), 0, ignoringDispatcher(), finished));

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.SUCCEEDED, done.state(), String.valueOf(done.error()));
    assertEquals(new JobStatus.Items(n, n, 0, 0, 0), done.items());
    ItemCounts.assertAddUp(done);
    assertEquals(n, calls.size());
    assertWithinLimit(calls, TWENTY_PER_100MS, SLACK);
  }

  @Test
  void rate_ioItemsRetried_everyTryCountsAgainstTheLimit() {
    int n = 100;
    ConcurrentLinkedQueue<Long> calls = new ConcurrentLinkedQueue<>();
    JobSpec.Stage stage = new JobSpec.Stage(1, OpKind.IO, 100, 1, recording(calls, true), new OpRef("gate", "{}"),
        Optional.of(TWENTY_PER_100MS));
    TestProbe<JobStatus> finished = testKit.createTestProbe();

    testKit.spawn(job("io-rate-retried", n, List.of(stage), 1, ignoringDispatcher(), finished));

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.SUCCEEDED, done.state(), String.valueOf(done.error()));
    assertEquals(new JobStatus.Items(n, n, 0, 0, 0), done.items());
    assertEquals(2 * n, calls.size(), "each item failed its first try and passed its second");
    assertWithinLimit(calls, TWENTY_PER_100MS, SLACK);
  }

  @Test
  void rate_cpuStageWithRate_batchesCutAndNoWindowHoldsMoreCallsThanTheLimit() {
    // Enough items that a chunk (a 64th of them: 5) is larger than what the gate lets through at once.
    int n = 320;
    ConcurrentLinkedQueue<Long> calls = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Integer> batches = new ConcurrentLinkedQueue<>();
    // One batch in flight: the worker records a call a mailbox hop after the gate, and batches in flight together
    // could bunch up there however well the gate spaced them.
    JobSpec.Stage stage = new JobSpec.Stage(1, OpKind.CPU, 1, 256, (CpuOp) (key, payload) -> payload,
        new OpRef("echo", "{}"), Optional.of(TWENTY_PER_100MS));
    TestProbe<JobStatus> finished = testKit.createTestProbe();

    testKit.spawn(job("cpu-rate", n, List.of(stage), 0, testKit.spawn(runningAtOnce(calls, batches)), finished));

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.SUCCEEDED, done.state(), String.valueOf(done.error()));
    assertEquals(new JobStatus.Items(n, n, 0, 0, 0), done.items());
    assertEquals(n, calls.size());
    // What the gate lets through at once (20 ms' worth: 4), not the stage's 256.
    assertTrue(batches.stream().allMatch(size -> size <= 4), "batch sizes: " + batches);
    // A window may begin inside a batch the worker recorded late.
    assertWithinLimit(calls, TWENTY_PER_100MS, SLACK + 4);
  }

  @Test
  void rate_whileCallsWaitForTheLimit_statusShowsTheStageThrottledAndTheLogSaysSoOnce() {
    int n = 150;
    ConcurrentLinkedQueue<Long> calls = new ConcurrentLinkedQueue<>();
    JobSpec.Stage limited = new JobSpec.Stage(1, OpKind.IO, 100, 1, recording(calls, false),
        new OpRef("gate", "{}"), Optional.of(TWENTY_PER_100MS));
    JobSpec.Stage free = new JobSpec.Stage(2, OpKind.IO, 100, 1, (IoOp) (key, payload, io) ->
        CompletableFuture.completedFuture(payload), new OpRef("echo", "{}"));
    TestProbe<JobStatus> finished = testKit.createTestProbe();

    ActorRef<Job.Command> job = LoggingTestKit.info("stage 1 (gate) is throttled: its calls wait for rate = 20/100ms")
        .withMdc(Map.of("jobId", "throttled")).withOccurrences(1)
        .expect(testKit.system(), () -> testKit.spawn(job("throttled", n, List.of(limited, free), 0,
            ignoringDispatcher(), finished)));

    JobStatus throttled = awaitStatus(job, status -> "20/100ms".equals(status.stages().get(0).throttled()));
    assertEquals(JobState.RUNNING, throttled.state());
    assertNull(throttled.stages().get(1).throttled(), "a stage without a rate is never throttled");

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.SUCCEEDED, done.state(), String.valueOf(done.error()));
    assertEquals(List.of(new JobStatus.StageStatus("gate", OpKind.IO, n, 0),
        new JobStatus.StageStatus("echo", OpKind.IO, n, 0)), done.stages());
    ItemCounts.assertAddUp(done);
  }

  @Test
  void rate_slowRateCancelledWhileCallsWait_throttledThenCancelledWithoutAnotherCall() {
    int n = 10;
    ConcurrentLinkedQueue<Long> calls = new ConcurrentLinkedQueue<>();
    JobSpec.Stage stage = new JobSpec.Stage(1, OpKind.IO, n, 1, recording(calls, false), new OpRef("gate", "{}"),
        Optional.of(new JobSpec.Rate(1, Duration.ofMinutes(1), "1/min")));
    TestProbe<JobStatus> finished = testKit.createTestProbe();
    ActorRef<Job.Command> job = testKit.spawn(job("slow", n, List.of(stage), 0, ignoringDispatcher(), finished));

    // The first call goes at once; the other nine wait for the next minute, which the status says before it comes.
    awaitStatus(job, status -> "1/min".equals(status.stages().get(0).throttled())
        && status.items().succeeded() == 1);
    assertEquals(1, calls.size());
    job.tell(new Job.Cancel("enough"));

    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(JobState.CANCELLED, done.state());
    assertEquals(new JobStatus.Items(n, 1, 0, 0, n - 1), done.items());
    ItemCounts.assertAddUp(done);
    assertEquals(1, calls.size());
  }

  @Test
  void rate_stageWithoutRate_allItemsInFlightAtOnceAndNeverThrottled() {
    int n = 60;
    List<CompletableFuture<byte[]>> open = new ArrayList<>();
    TestProbe<CompletableFuture<byte[]>> started = testKit.createTestProbe();
    IoOp held = (key, payload, io) -> {
      CompletableFuture<byte[]> result = new CompletableFuture<>();
      started.ref().tell(result);
      return result;
    };
    JobSpec.Stage stage = new JobSpec.Stage(1, OpKind.IO, n, 1, held, new OpRef("gate", "{}"));
    TestProbe<JobStatus> finished = testKit.createTestProbe();

    ActorRef<Job.Command> job = testKit.spawn(job("unlimited", n, List.of(stage), 0, ignoringDispatcher(),
        finished));

    open.addAll(started.receiveSeveralMessages(n, WAIT));
    assertNull(status(job).stages().get(0).throttled());
    open.forEach(result -> result.complete("x".getBytes(StandardCharsets.UTF_8)));
    JobStatus done = finished.expectMessageClass(JobStatus.class, WAIT);
    assertEquals(new JobStatus.Items(n, n, 0, 0, 0), done.items());
  }

  /** No window of one period, starting at any call, holds more than the limit plus {@code slack} calls. */
  private static void assertWithinLimit(ConcurrentLinkedQueue<Long> calls, JobSpec.Rate rate, int slack) {
    List<Long> times = new ArrayList<>(calls);
    times.sort(null);
    long per = rate.per().toNanos();
    int most = 0;
    int end = 0;
    for (int start = 0; start < times.size(); start++) {
      while (end < times.size() && times.get(end) - times.get(start) < per) {
        end++;
      }
      most = Math.max(most, end - start);
    }
    assertTrue(most <= rate.items() + slack, "a window of " + rate.text() + " held " + most + " calls");
  }

  /** An io op that records when each call starts; with {@code failFirstTry}, each item's first call fails. */
  private static IoOp recording(ConcurrentLinkedQueue<Long> calls, boolean failFirstTry) {
    Set<String> tried = ConcurrentHashMap.newKeySet();
    return (key, payload, io) -> {
      calls.add(System.nanoTime());
      if (failFirstTry && tried.add(key)) {
        return CompletableFuture.failedFuture(new IllegalStateException("first try"));
      }
      return CompletableFuture.completedFuture(payload);
    };
  }

  /** A dispatcher that runs every batch at once in place of a worker, recording each item's call. */
  private static Behavior<WorkDispatcher.Command> runningAtOnce(ConcurrentLinkedQueue<Long> calls,
      ConcurrentLinkedQueue<Integer> batches) {
    return Behaviors.receive(WorkDispatcher.Command.class)
        .onMessage(WorkDispatcher.Dispatch.class, dispatch -> {
          batches.add(dispatch.items().size());
          List<WorkResult.ItemResult> results = new ArrayList<>();
          for (var item : dispatch.items()) {
            calls.add(System.nanoTime());
            results.add(WorkResult.ItemResult.ok(item.key(), item.payload()));
          }
          dispatch.replyTo().tell(new WorkResult(1, results, "node-a"));
          return Behaviors.same();
        })
        .onAnyMessage(message -> Behaviors.same())
        .build();
  }

  private ActorRef<WorkDispatcher.Command> ignoringDispatcher() {
    return testKit.<WorkDispatcher.Command>createTestProbe().ref();
  }

  private Behavior<Job.Command> job(String name, int items, List<JobSpec.Stage> stages, int retries,
      ActorRef<WorkDispatcher.Command> dispatcher, TestProbe<JobStatus> finished) {
    JobSpec spec = new JobSpec(name, new JobSpec.Range(1, items), stages, Optional.empty(), 0, retries,
        Duration.ofMinutes(1), "(built by the test)");
    CoordinatorSettings settings = new CoordinatorSettings(JobDefaults.from(testKit.system().settings().config()),
        Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofHours(1), Duration.ofMillis(20),
        Duration.ofMillis(50), 1 << 20, 10, 1 << 20, Duration.ofHours(1), Duration.ofSeconds(20),
        Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofSeconds(5), 8);
    JobStream.Runtime runtime = new JobStream.Runtime(testKit.system(), new IoRuntime(testKit.system()),
        dispatcher, settings);
    return Job.create(name, spec, runtime, Instant.now(), finished.ref());
  }

  private JobStatus awaitStatus(ActorRef<Job.Command> job, Predicate<JobStatus> wanted) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    TestProbe<Optional<JobStatus>> reply = testKit.createTestProbe();
    while (System.nanoTime() < deadline) {
      job.tell(new Job.GetStatus(reply.ref()));
      JobStatus status = reply.receiveMessage(WAIT).orElseThrow();
      if (wanted.test(status)) {
        return status;
      }
      assertTrue(!status.state().isFinal(), "ended before the status showed it: " + status);
      reply.expectNoMessage(Duration.ofMillis(5));
    }
    throw new AssertionError("no such status within " + WAIT);
  }

  private JobStatus status(ActorRef<Job.Command> job) {
    TestProbe<Optional<JobStatus>> reply = testKit.createTestProbe();
    job.tell(new Job.GetStatus(reply.ref()));
    return reply.receiveMessage(WAIT).orElseThrow();
  }
}
