package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.coordinator.spec.JobSpecParser;
import baton.protocol.op.OpRegistry;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code baton.coordinator.max-running-jobs}: jobs beyond it wait QUEUED, with their position, start as others end
 * (highest priority first, then in the order they came), can be cancelled while they wait, and keep their place
 * across a restart of the coordinator. A job that waits long is a delay of ten minutes, ended by a cancel, so each
 * step waits for a state, never for time.
 */
// One instance per class: TestKitJUnit5Extension shuts down only the last instance's test kit.
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
final class JobQueueTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(Journal.withDatabase(ConfigFactory.load())).build();

  @TempDir
  Path dir;

  private final ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create());

  @Test
  void submit_beyondMaxRunningJobs_queuedWithItsPositionAndStartsWhenARunningJobEnds() {
    ActorRef<Coordinator.Command> coordinator = spawnCoordinator(2, newJournal());
    JobStatus first = accepted(coordinator, slow("first", 0));
    JobStatus second = accepted(coordinator, slow("second", 0));

    JobStatus third = accepted(coordinator, slow("third", 0));
    JobStatus fourth = accepted(coordinator, slow("fourth", 0));

    assertEquals(JobState.ACCEPTED, first.state());
    assertNull(first.queuePosition());
    assertEquals(JobState.QUEUED, third.state());
    assertEquals(1, third.queuePosition());
    assertEquals(3, third.items().total());
    assertEquals(JobState.QUEUED, fourth.state());
    assertEquals(2, fourth.queuePosition());
    await(coordinator, second.id(), status -> status.state() == JobState.RUNNING);
    JobStatus waiting = get(coordinator, fourth.id()).orElseThrow();
    assertEquals(JobState.QUEUED, waiting.state());
    assertEquals(2, waiting.queuePosition());
    assertTrue(waiting.waiting() != null && waiting.waiting().contains("position 2 of 2 in the queue"), waiting.toString());
    List<JobStatus> listed = list(coordinator);
    assertEquals(List.of(first.id(), second.id(), third.id(), fourth.id()), ids(listed));
    assertEquals(List.of(JobState.RUNNING, JobState.RUNNING, JobState.QUEUED, JobState.QUEUED), states(listed));
    assertEquals(Arrays.asList(null, null, 1, 2), listed.stream().map(JobStatus::queuePosition).toList());

    cancel(coordinator, first.id());

    await(coordinator, third.id(), status -> status.state() == JobState.RUNNING);
    JobStatus moved = get(coordinator, fourth.id()).orElseThrow();
    assertEquals(JobState.QUEUED, moved.state());
    assertEquals(1, moved.queuePosition());
    cancelAll(coordinator, second.id(), third.id(), fourth.id());
  }

  @Test
  void queue_mixedPriorities_startsTheHighestPriorityFirstThenInTheOrderTheyCame() {
    ActorRef<Coordinator.Command> coordinator = spawnCoordinator(2, newJournal());
    String blocker = accepted(coordinator, slow("blocker", 0)).id();
    String other = accepted(coordinator, slow("other", 0)).id();
    String lowFirst = accepted(coordinator, slow("low-first", 0)).id();
    String highFirst = accepted(coordinator, slow("high-first", 5)).id();
    String lowSecond = accepted(coordinator, slow("low-second", 0)).id();
    String highSecond = accepted(coordinator, slow("high-second", 5)).id();
    String negative = accepted(coordinator, slow("negative", -1)).id();
    List<String> expected = List.of(highFirst, highSecond, lowFirst, lowSecond, negative);

    Map<String, Integer> positions = list(coordinator).stream().filter(job -> job.queuePosition() != null)
        .collect(Collectors.toMap(JobStatus::id, JobStatus::queuePosition));

    assertEquals(Map.of(highFirst, 1, highSecond, 2, lowFirst, 3, lowSecond, 4, negative, 5), positions);
    String ending = blocker;
    for (int next = 0; next < expected.size(); next++) {
      cancel(coordinator, ending);
      String starts = expected.get(next);
      await(coordinator, starts, status -> status.state() == JobState.RUNNING);
      List<JobStatus> now = list(coordinator);
      List<String> stillQueued = now.stream().filter(job -> job.state() == JobState.QUEUED)
          .sorted(Comparator.comparing(JobStatus::queuePosition)).map(JobStatus::id).toList();
      assertEquals(expected.subList(next + 1, expected.size()), stillQueued, "after " + starts + " started");
      assertEquals(2, now.stream().filter(job -> job.state() == JobState.RUNNING).count(), now.toString());
      ending = starts;
    }
    cancelAll(coordinator, ending, other);
  }

  @Test
  void queue_manyJobsAndALowLimit_neverMoreThanTheLimitRunAtOnce() {
    int limit = 3;
    int jobs = 120;
    ActorRef<Coordinator.Command> coordinator = spawnCoordinator(limit, newJournal());
    List<String> ids = new ArrayList<>();
    for (int n = 0; n < jobs; n++) {
      ids.add(accepted(coordinator, "name = many-" + n + "\ninput.range { from = 1, to = 2 }\n"
          + "stages = [ { op = delay, millis = 5 } ]\n").id());
    }

    int mostSeenRunning = 0;
    List<JobStatus> ended;
    long deadline = System.nanoTime() + WAIT.multipliedBy(2).toNanos();
    while (true) {
      assertTrue(System.nanoTime() < deadline, "the jobs did not end in time");
      List<JobStatus> now = list(coordinator);
      long running = now.stream().filter(job -> !job.state().isFinal() && job.state() != JobState.QUEUED).count();
      assertTrue(running <= limit, running + " jobs running at once: " + now);
      mostSeenRunning = Math.max(mostSeenRunning, (int) running);
      if (now.stream().allMatch(job -> job.state().isFinal())) {
        ended = now;
        break;
      }
    }

    assertEquals(ids, ids(ended));
    ended.forEach(job -> {
      assertEquals(JobState.SUCCEEDED, job.state(), job.toString());
      ItemCounts.assertAddUp(job);
    });
    // A job starts only after the coordinator wrote another's end, which the job stamped before: the jobs running
    // at one moment are exactly the ones whose startedAt..finishedAt spans hold it.
    assertTrue(mostAtOnce(ended) <= limit, mostAtOnce(ended) + " jobs overlapped");
    assertTrue(mostSeenRunning >= 1, "never saw a job running");
  }

  @Test
  void cancel_queuedJob_cancelledAtOnceWithEveryItemNotRunAndNeverStarts() throws Exception {
    ActorRef<Coordinator.Command> coordinator = spawnCoordinator(1, newJournal());
    String running = accepted(coordinator, slow("running", 0)).id();
    String ranged = accepted(coordinator, "name = ranged\ninput.range { from = 1, to = 7 }\n"
        + "stages = [ { op = delay, millis = 1 } ]\n").id();
    Files.writeString(dir.resolve("five.txt"), "a\nb\nc\nd\ne\n");
    String lines = accepted(coordinator, "name = lines\ninput.lines = five.txt\n"
        + "stages = [ { op = delay, millis = 1 } ]\n").id();
    String last = accepted(coordinator, slow("last", 0)).id();

    JobStatus cancelled = cancel(coordinator, ranged);
    JobStatus cancelledLines = cancel(coordinator, lines);

    assertEquals(JobState.CANCELLED, cancelled.state());
    assertEquals("cancelled by request", cancelled.error());
    assertEquals(new JobStatus.Items(7, 0, 0, 0, 7), cancelled.items());
    assertNull(cancelled.startedAt());
    assertNull(cancelled.queuePosition());
    ItemCounts.assertAddUp(cancelled);
    assertEquals(new JobStatus.Items(5, 0, 0, 0, 5), cancelledLines.items());
    ItemCounts.assertAddUp(cancelledLines);
    assertEquals(Optional.of(cancelled), get(coordinator, ranged));
    assertEquals(1, get(coordinator, last).orElseThrow().queuePosition());
    cancel(coordinator, running);
    await(coordinator, last, status -> status.state() == JobState.RUNNING);
    assertEquals(Optional.of(cancelled), get(coordinator, ranged));
    cancel(coordinator, last);
  }

  @Test
  void coordinator_stoppedWithQueuedJobsAndStartedAgain_queueKeptInOrderAndRunningJobsResume() {
    String journal = newJournal();
    ActorRef<Coordinator.Command> first = spawnCoordinator(2, journal);
    String one = accepted(first, slow("one", 0)).id();
    String two = accepted(first, slow("two", 0)).id();
    String plain = accepted(first, slow("plain", 0)).id();
    String urgent = accepted(first, slow("urgent", 3)).id();
    String later = accepted(first, slow("later", 0)).id();
    await(first, two, status -> status.state() == JobState.RUNNING);

    testKit.stop(first, WAIT);
    ActorRef<Coordinator.Command> second = spawnCoordinator(2, journal);

    await(second, one, status -> status.state() == JobState.RUNNING);
    await(second, two, status -> status.state() == JobState.RUNNING);
    List<JobStatus> listed = list(second);
    assertEquals(List.of(JobState.RUNNING, JobState.RUNNING, JobState.QUEUED, JobState.QUEUED, JobState.QUEUED),
        states(listed));
    assertEquals(Arrays.asList(null, null, 2, 1, 3), listed.stream().map(JobStatus::queuePosition).toList());
    cancel(second, one);
    await(second, urgent, status -> status.state() == JobState.RUNNING);
    assertEquals(JobState.QUEUED, get(second, plain).orElseThrow().state());
    cancel(second, urgent);
    await(second, plain, status -> status.state() == JobState.RUNNING);
    assertEquals(1, get(second, later).orElseThrow().queuePosition());
    cancelAll(second, two, plain, later);
  }

  @Test
  void coordinator_stopAcceptingWithQueuedJobs_theyStayQueuedAndStartAfterTheRestart() {
    String journal = newJournal();
    ActorRef<Coordinator.Command> first = spawnCoordinator(1, journal);
    String running = accepted(first, slow("running", 0)).id();
    String waiting = accepted(first, "name = waiting\ninput.range { from = 1, to = 4 }\n"
        + "stages = [ { op = delay, millis = 1 } ]\n").id();
    TestProbe<Done> stopped = testKit.createTestProbe();
    first.tell(new Coordinator.StopAccepting(stopped.ref()));
    stopped.expectMessage(WAIT, Done.getInstance());

    cancel(first, running);
    // The coordinator has written the running job's end (and would have started the queued one in the same write).
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(0, health(first).runningJobs());
      return null;
    });

    assertEquals(new Coordinator.Health(false, 0, 1), health(first));
    assertEquals(List.of(JobState.CANCELLED, JobState.QUEUED), states(list(first)));
    testKit.stop(first, WAIT);
    ActorRef<Coordinator.Command> second = spawnCoordinator(1, journal);
    JobStatus done = await(second, waiting, status -> status.state().isFinal());
    assertEquals(JobState.SUCCEEDED, done.state());
    assertEquals(new JobStatus.Items(4, 4, 0, 0, 0), done.items());
    ItemCounts.assertAddUp(done);
  }

  @Test
  void stateMillis_jobThatWaitedInTheQueue_hasAQueuedShareKeptAfterItsEndAndARestart() {
    String journal = newJournal();
    ActorRef<Coordinator.Command> first = spawnCoordinator(1, journal);
    String blocker = accepted(first, slow("blocker", 0)).id();
    String waiter = accepted(first, slow("waiter", 0)).id();

    JobStatus queued = await(first, waiter, status -> status.stateMillis().get("QUEUED") >= 300);
    assertEquals(JobState.QUEUED, queued.state());
    assertEquals(List.of("QUEUED"), List.copyOf(queued.stateMillis().keySet()));
    assertTrue(list(first).stream().filter(job -> job.id().equals(waiter))
        .allMatch(job -> job.stateMillis().get("QUEUED") >= 300), "list shows the time queued too");
    JobStatus blocking = await(first, blocker, status -> status.startedAt() != null);
    cancel(first, blocker);
    JobStatus running = await(first, waiter, status -> status.startedAt() != null);
    cancel(first, waiter);
    JobStatus ended = await(first, waiter, status -> status.finishedAt() != null);

    assertEquals(List.of("ACCEPTED", "RUNNING"), List.copyOf(blocking.stateMillis().keySet()),
        "a job that started at once never was QUEUED: " + blocking);
    assertTrue(running.stateMillis().get("QUEUED") >= 300, running.toString());
    assertTrue(running.stateMillis().containsKey("RUNNING"), running.toString());
    assertEquals(JobState.CANCELLED, ended.state());
    assertTrue(ended.stateMillis().get("QUEUED") >= 300, ended.toString());
    assertEquals(List.of("QUEUED", "RUNNING", "STOPPING"), List.copyOf(ended.stateMillis().keySet()),
        ended.toString());
    testKit.stop(first, WAIT);
    ActorRef<Coordinator.Command> second = spawnCoordinator(1, journal);
    assertEquals(ended.stateMillis(), await(second, waiter, status -> status.finishedAt() != null).stateMillis());
  }

  /** The most spans that hold one instant, counting a span that ends where another starts as not overlapping. */
  private static int mostAtOnce(List<JobStatus> jobs) {
    List<long[]> edges = new ArrayList<>();
    for (JobStatus job : jobs) {
      edges.add(new long[] {nanos(job.startedAt()), 1});
      edges.add(new long[] {nanos(job.finishedAt()), -1});
    }
    edges.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    int now = 0;
    int most = 0;
    for (long[] edge : edges) {
      now += (int) edge[1];
      most = Math.max(most, now);
    }
    return most;
  }

  private static long nanos(String instant) {
    Instant parsed = Instant.parse(instant);
    return parsed.getEpochSecond() * 1_000_000_000L + parsed.getNano();
  }

  private static String slow(String name, int priority) {
    return "name = " + name + "\npriority = " + priority + "\ninput.range { from = 1, to = 3 }\n"
        + "stages = [ { op = delay, millis = 600000 } ]\n";
  }

  private static String newJournal() {
    return "coordinator-" + UUID.randomUUID();
  }

  private ActorRef<Coordinator.Command> spawnCoordinator(int maxRunningJobs, String journalName) {
    Config config = ConfigFactory.parseString("baton.coordinator.max-running-jobs = " + maxRunningJobs)
        .withFallback(testKit.system().settings().config());
    CoordinatorSettings settings = CoordinatorSettings.from(config);
    OpRegistry registry = OpRegistry.load(getClass().getClassLoader(), config);
    return testKit.spawn(Coordinator.create(settings, new JobSpecParser(registry, settings.job()), dispatcher,
        journalName));
  }

  private JobStatus accepted(ActorRef<Coordinator.Command> coordinator, String spec) {
    TestProbe<Coordinator.SubmitReply> reply = testKit.createTestProbe();
    coordinator.tell(new Coordinator.Submit(spec, "spec.conf", dir, reply.ref()));
    return assertInstanceOf(Coordinator.Accepted.class, reply.receiveMessage(WAIT)).status();
  }

  private Optional<JobStatus> get(ActorRef<Coordinator.Command> coordinator, String id) {
    TestProbe<Optional<JobStatus>> reply = testKit.createTestProbe();
    coordinator.tell(new Coordinator.GetJob(id, reply.ref()));
    return reply.receiveMessage(WAIT);
  }

  private List<JobStatus> list(ActorRef<Coordinator.Command> coordinator) {
    TestProbe<List<JobStatus>> reply = testKit.createTestProbe();
    coordinator.tell(new Coordinator.ListJobs(reply.ref()));
    return reply.receiveMessage(WAIT);
  }

  private Coordinator.Health health(ActorRef<Coordinator.Command> coordinator) {
    TestProbe<Coordinator.Health> reply = testKit.createTestProbe();
    coordinator.tell(new Coordinator.GetHealth(reply.ref()));
    return reply.receiveMessage(WAIT);
  }

  private JobStatus cancel(ActorRef<Coordinator.Command> coordinator, String id) {
    TestProbe<Optional<JobStatus>> reply = testKit.createTestProbe();
    coordinator.tell(new Coordinator.CancelJob(id, reply.ref()));
    return reply.receiveMessage(WAIT).orElseThrow();
  }

  private void cancelAll(ActorRef<Coordinator.Command> coordinator, String... ids) {
    for (String id : ids) {
      cancel(coordinator, id);
    }
  }

  private JobStatus await(ActorRef<Coordinator.Command> coordinator, String id,
      java.util.function.Predicate<JobStatus> check) {
    return testKit.createTestProbe().awaitAssert(WAIT, () -> {
      JobStatus status = get(coordinator, id).orElseThrow();
      assertTrue(check.test(status), status.toString());
      return status;
    });
  }

  private static List<String> ids(List<JobStatus> jobs) {
    return jobs.stream().map(JobStatus::id).toList();
  }

  private static List<JobState> states(List<JobStatus> jobs) {
    return jobs.stream().map(JobStatus::state).toList();
  }
}
