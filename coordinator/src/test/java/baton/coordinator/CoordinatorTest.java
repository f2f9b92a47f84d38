package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.coordinator.spec.JobSpecParser;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpRegistry;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The coordinator actor with the built-in ops: submit, reject, status, list and cancel. */
// One instance per class: TestKitJUnit5Extension shuts down only the last instance's test kit.
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
final class CoordinatorTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(Journal.withDatabase(ConfigFactory.load())).build();

  @TempDir
  Path dir;

  private ActorRef<Coordinator.Command> coordinator;

  @BeforeEach
  void spawnCoordinator() {
    CoordinatorSettings settings = CoordinatorSettings.from(testKit.system().settings().config());
    OpRegistry registry = OpRegistry.load(getClass().getClassLoader(), testKit.system().settings().config());
    ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create());
    // Each test's coordinator has its own name in the shared journal, so it starts with no jobs.
    coordinator = testKit.spawn(Coordinator.create(settings, new JobSpecParser(registry, settings.job()),
        dispatcher, "coordinator-" + UUID.randomUUID()));
  }

  @Test
  void submit_validSpec_acceptedThenRunningThenSucceededWithCounts() {
    Coordinator.SubmitReply reply = submit("name = \"Slow Range!\"\ninput.range { from = 1, to = 30 }\n"
        + "stages = [ { op = delay, millis = 1500 } ]\n");

    JobStatus accepted = assertInstanceOf(Coordinator.Accepted.class, reply).status();
    assertEquals(JobState.ACCEPTED, accepted.state());
    assertEquals("Slow Range!", accepted.name());
    assertTrue(accepted.id().matches("slow-range-[0-9a-f]{6}"), accepted.id());
    assertEquals(30, accepted.items().total());
    assertEquals(JobState.RUNNING, get(accepted.id()).orElseThrow().state());
    JobStatus done = awaitFinal(accepted.id());
    assertEquals(JobState.SUCCEEDED, done.state());
    assertEquals(new JobStatus.Items(30, 30, 0, 0, 0), done.items());
    ItemCounts.assertAddUp(done);
    assertEquals(List.of(new JobStatus.StageStatus("delay", OpKind.IO, 30, 0)), done.stages());
    assertNull(done.error());
  }

  @Test
  void submit_moreMissingFilesThanMaxFailedItems_failedWithError() {
    Coordinator.SubmitReply reply = submit("input.range { from = 1, to = 5 }\n"
        + "stages = [ { op = read-file, parallelism = 1 } ]\nretries = 0\nmax-failed-items = 1\n");

    JobStatus done = awaitFinal(assertInstanceOf(Coordinator.Accepted.class, reply).status().id());
    assertEquals(JobState.FAILED, done.state());
    assertEquals("stopped after 2 items failed (max-failed-items = 1)", done.error());
    assertEquals(0, done.items().succeeded());
    ItemCounts.assertAddUp(done);
  }

  @Test
  void submit_unknownOp_rejectedNamingTheLineAndTheKnownOps() {
    Coordinator.SubmitReply reply = submit("input.range { from = 1, to = 3 }\nstages = [ { op = nope } ]\n");

    assertEquals(new Coordinator.Rejected("spec.conf:2: stage 1: unknown op nope; known ops: delay, grep, gunzip, "
        + "gzip, http-get, read-file, sha256, word-count, write-file"), reply);
  }

  @Test
  void submit_missingStages_rejected() {
    Coordinator.SubmitReply reply = submit("input.range { from = 1, to = 3 }\n");

    assertEquals(new Coordinator.Rejected(
        "spec.conf: missing stages: give a list such as stages = [ { op = sha256 } ]"), reply);
  }

  @Test
  void submit_afterStopAccepting_unavailable() {
    TestProbe<Done> stopped = testKit.createTestProbe();
    coordinator.tell(new Coordinator.StopAccepting(stopped.ref()));
    stopped.expectMessage(WAIT, Done.getInstance());

    Coordinator.SubmitReply reply = submit("input.range { from = 1, to = 3 }\n"
        + "stages = [ { op = delay, millis = 1 } ]\n");

    assertInstanceOf(Coordinator.Unavailable.class, reply);
  }

  @Test
  void getJob_unknownId_empty() {
    assertEquals(Optional.empty(), get("no-such-job-000000"));
  }

  @Test
  void cancelJob_unknownId_empty() {
    TestProbe<Optional<JobStatus>> reply = testKit.createTestProbe();

    coordinator.tell(new Coordinator.CancelJob("no-such-job-000000", reply.ref()));

    assertEquals(Optional.empty(), reply.receiveMessage(WAIT));
  }

  @Test
  void cancelJob_running_cancelledAndKeptAsFinished() {
    String id = ((Coordinator.Accepted) submit("input.range { from = 1, to = 5 }\n"
        + "stages = [ { op = delay, millis = 600000 } ]\n")).status().id();
    TestProbe<Optional<JobStatus>> reply = testKit.createTestProbe();

    coordinator.tell(new Coordinator.CancelJob(id, reply.ref()));

    JobStatus answer = reply.receiveMessage(WAIT).orElseThrow();
    assertEquals(JobState.CANCELLED, answer.state());
    assertEquals("cancelled by request", answer.error());
    JobStatus kept = awaitFinal(id);
    assertEquals(JobState.CANCELLED, kept.state());
    assertEquals(new JobStatus.Items(5, 0, 0, 0, 5), kept.items());
    ItemCounts.assertAddUp(kept);
  }

  @Test
  void listJobs_finishedAndRunning_allOldestFirst() {
    String first = ((Coordinator.Accepted) submit("name = first\ninput.range { from = 1, to = 2 }\n"
        + "stages = [ { op = delay, millis = 1 } ]\n")).status().id();
    awaitFinal(first);
    String second = ((Coordinator.Accepted) submit("name = second\ninput.range { from = 1, to = 2 }\n"
        + "stages = [ { op = delay, millis = 600000 } ]\n")).status().id();
    TestProbe<List<JobStatus>> reply = testKit.createTestProbe();

    coordinator.tell(new Coordinator.ListJobs(reply.ref()));

    List<JobStatus> jobs = reply.receiveMessage(WAIT);
    assertEquals(List.of(first, second), jobs.stream().map(JobStatus::id).toList());
    assertEquals(List.of(JobState.SUCCEEDED, JobState.RUNNING), jobs.stream().map(JobStatus::state).toList());
    coordinator.tell(new Coordinator.CancelJob(second, testKit.<Optional<JobStatus>>createTestProbe().ref()));
  }

  private Coordinator.SubmitReply submit(String spec) {
    TestProbe<Coordinator.SubmitReply> reply = testKit.createTestProbe();
    coordinator.tell(new Coordinator.Submit(spec, "spec.conf", dir, reply.ref()));
    return reply.receiveMessage(WAIT);
  }

  private Optional<JobStatus> get(String id) {
    TestProbe<Optional<JobStatus>> reply = testKit.createTestProbe();
    coordinator.tell(new Coordinator.GetJob(id, reply.ref()));
    return reply.receiveMessage(WAIT);
  }

  private JobStatus awaitFinal(String id) {
    return testKit.createTestProbe().awaitAssert(WAIT, () -> {
      JobStatus status = get(id).orElseThrow();
      assertTrue(status.state().isFinal(), status.toString());
      return status;
    });
  }
}
