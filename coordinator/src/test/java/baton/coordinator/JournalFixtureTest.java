package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.coordinator.spec.JobSpecParser;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpRegistry;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator started on a journal that version 1 of the journal format wrote ({@code journal-v1/}, made by
 * {@link JournalFixtureWriter}) shows the jobs that were written, with the same values, and resumes the job that was
 * running. A later version must keep this test passing, unchanged: it is what keeps upgrades from losing jobs.
 */
@ExtendWith(LogCapturingExtension.class)
final class JournalFixtureTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String RUNNING = "fixture-running-05ef29";

  static final JobStatus OK = new JobStatus("fixture-ok-461af8", "fixture-ok", JobState.SUCCEEDED, 297,
      new JobStatus.Items(10, 10, 0, 0, 0), List.of(new JobStatus.StageStatus("delay", OpKind.IO, 10, 0)), null,
      "/tmp/baton-journal-v1/out/ok.tsv", "2026-11-27T05:59:40.242680194Z", "2026-11-27T05:59:40.385302423Z",
      "2026-11-27T05:59:40.683138802Z", List.of(), null)
      .withStateMillis(Map.of("ACCEPTED", 142L, "RUNNING", 297L)).withPace(10 * 1000.0 / 297, null, null);
  static final JobStatus FAILING = new JobStatus("fixture-failing-42cdb3", "fixture-failing", JobState.FAILED, 55,
      new JobStatus.Items(5, 0, 5, 0, 0), List.of(new JobStatus.StageStatus("read-file", OpKind.IO, 0, 5)),
      "stopped after 2 items failed (max-failed-items = 1)", null, "2026-11-27T05:59:40.714175459Z",
      "2026-11-27T05:59:40.739554883Z", "2026-11-27T05:59:40.795044762Z", List.of(), null)
      .withStateMillis(Map.of("ACCEPTED", 25L, "RUNNING", 55L)).withPace(5 * 1000.0 / 55, null, null);
  static final JobStatus CANCELLED = new JobStatus("fixture-cancelled-2c8a52", "fixture-cancelled",
      JobState.CANCELLED, 290, new JobStatus.Items(50, 4, 0, 0, 46),
      List.of(new JobStatus.StageStatus("delay", OpKind.IO, 4, 0)), "cancelled by request", null,
      "2026-11-27T05:59:40.780230829Z", "2026-11-27T05:59:40.799914241Z", "2026-11-27T05:59:41.090051934Z",
      List.of(), null)
      // Version 1 kept no times per state or pace: they follow from the job's submission, start and end.
      .withStateMillis(Map.of("ACCEPTED", 19L, "RUNNING", 290L)).withPace(4 * 1000.0 / 290, null, null);

  @TempDir
  Path dataDir;

  @Test
  void coordinator_startedOnAVersion1Journal_showsItsJobsAndResumesTheRunningOne() throws Exception {
    try (InputStream fixture = getClass().getResourceAsStream("/journal-v1/journal.mv.db")) {
      Files.copy(fixture, dataDir.resolve("journal.mv.db"));
    }
    Config config = Journal.withDatabase(ConfigFactory.parseString("pekko.actor.testkit.typed.filter-leeway = 20s")
        .withFallback(ConfigFactory.load())
        .withValue("baton.coordinator.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toString())));
    ActorTestKit testKit = ActorTestKit.create("fixture", config);
    try {
      CoordinatorSettings settings = CoordinatorSettings.from(config);
      OpRegistry registry = OpRegistry.load(getClass().getClassLoader(), config);
      ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create(), "dispatcher");
      // The journal name `baton coordinator` uses, as the fixture's writer did.
      ActorRef<Coordinator.Command> coordinator = LoggingTestKit
          .info("resuming job " + RUNNING + " after a restart: 1012 items already done")
          .expect(testKit.system(), () -> testKit.spawn(Coordinator.create(settings,
              new JobSpecParser(registry, settings.job()), dispatcher), "coordinator"));

      // Read from the coordinator's snapshot and the event after it; the running job answers from its own journal.
      List<JobStatus> jobs = awaitList(testKit, coordinator, 4 + JournalFixtureWriter.TINY_JOBS);
      assertEquals(List.of(OK, FAILING, CANCELLED), jobs.subList(0, 3));
      JobStatus running = jobs.get(3);
      assertEquals(RUNNING, running.id());
      assertEquals("fixture-running", running.name());
      assertEquals("2026-11-27T05:59:41.087514151Z", running.submittedAt());
      assertEquals("2026-11-27T05:59:41.149291293Z", running.startedAt());
      assertTrue(running.items().succeeded() >= 1012, running.toString());
      for (JobStatus tiny : jobs.subList(4, jobs.size())) {
        assertEquals("fixture-tiny", tiny.name(), tiny.toString());
        assertEquals(JobState.SUCCEEDED, tiny.state(), tiny.toString());
        assertEquals(new JobStatus.Items(1, 1, 0, 0, 0), tiny.items(), tiny.toString());
      }
      for (JobStatus ended : List.of(OK, FAILING, CANCELLED)) {
        assertEquals(Optional.of(ended), get(testKit, coordinator, ended.id()));
        ItemCounts.assertAddUp(ended);
      }

      JobStatus resumed = testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
        JobStatus status = get(testKit, coordinator, RUNNING).orElseThrow();
        assertEquals(JobState.SUCCEEDED, status.state(), status.toString());
        return status;
      });
      assertEquals(new JobStatus.Items(1200, 1200, 0, 0, 0), resumed.items());
      assertEquals(List.of(new JobStatus.StageStatus("delay", OpKind.IO, 1200, 0)), resumed.stages());
      assertEquals("2026-11-27T05:59:41.149291293Z", resumed.startedAt());
      assertEquals("2026-11-27T05:59:41.087514151Z", resumed.submittedAt());
      ItemCounts.assertAddUp(resumed);
    } finally {
      testKit.shutdownTestKit();
    }
  }

  private static List<JobStatus> awaitList(ActorTestKit testKit, ActorRef<Coordinator.Command> coordinator,
      int size) {
    TestProbe<List<JobStatus>> reply = testKit.createTestProbe();
    // A resumed job shows once its spec is read again, just after recovery.
    return reply.awaitAssert(WAIT, Duration.ofMillis(20), () -> {
      coordinator.tell(new Coordinator.ListJobs(reply.ref()));
      List<JobStatus> jobs = reply.receiveMessage(WAIT);
      assertEquals(size, jobs.size());
      return jobs;
    });
  }

  private static Optional<JobStatus> get(ActorTestKit testKit, ActorRef<Coordinator.Command> coordinator,
      String id) {
    TestProbe<Optional<JobStatus>> reply = testKit.createTestProbe();
    coordinator.tell(new Coordinator.GetJob(id, reply.ref()));
    return reply.receiveMessage(WAIT);
  }
}
