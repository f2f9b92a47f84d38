package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.coordinator.spec.JobSpecParser;
import baton.protocol.op.OpRegistry;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finished jobs leave the journal: their events and snapshots are deleted, so that the journal holds the open jobs
 * and the coordinator's record of the last {@code finished-jobs-kept}, however many jobs ran.
 */
// One instance per class: TestKitJUnit5Extension shuts down only the last instance's test kit.
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
final class JournalRetentionTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int KEPT = 2;

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(Journal.withDatabase(ConfigFactory.parseString(
          "baton.coordinator { finished-jobs-kept = " + KEPT + ", checkpoint-interval = 5ms }")
          .withFallback(ConfigFactory.load()))).build();

  @TempDir
  Path dir;

  @Test
  void coordinator_moreFinishedJobsThanKept_journalHoldsNoEventsOrSnapshotsOfDroppedJobs() {
    ActorRef<Coordinator.Command> coordinator = spawnCoordinator("coordinator-" + UUID.randomUUID());
    // The first job checkpoints more than 100 times (the output is written every 50 ms at most), so the job actor
    // saves snapshots too.
    String first = submit(coordinator, "name = long\ninput.range { from = 1, to = 160 }\n"
        + "stages = [ { op = delay, millis = 50, parallelism = 1 } ]\n");
    testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(20),
        () -> {
          assertTrue(rows(first, "snapshot") > 0, "no snapshot of " + first + " yet");
          return null;
        });
    List<String> ids = new ArrayList<>();
    ids.add(awaitEnd(coordinator, first));
    for (int i = 0; i < KEPT + 2; i++) {
      ids.add(runToEnd(coordinator, "name = tiny\ninput.range { from = 1, to = 10 }\n"
          + "stages = [ { op = delay, millis = 0 } ]\n"));
    }
    List<String> dropped = ids.subList(0, ids.size() - KEPT);
    List<String> kept = ids.subList(ids.size() - KEPT, ids.size());

    awaitRows(dropped, 0);
    for (String id : kept) {
      // Status comes from the coordinator's own record, not from the job's events.
      assertEquals(JobState.SUCCEEDED, get(coordinator, id).orElseThrow().state());
    }
    for (String id : dropped) {
      assertTrue(get(coordinator, id).isEmpty(), id + " is past finished-jobs-kept and still listed");
    }
  }

  @Test
  void coordinator_startedAgainAfterDeletions_knowsTheKeptJobs() {
    String name = "coordinator-" + UUID.randomUUID();
    ActorRef<Coordinator.Command> first = spawnCoordinator(name);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < KEPT + 1; i++) {
      ids.add(runToEnd(first, "name = tiny\ninput.range { from = 1, to = 3 }\n"
          + "stages = [ { op = delay, millis = 0 } ]\n"));
    }
    awaitRows(ids, 0);
    testKit.stop(first, WAIT);

    ActorRef<Coordinator.Command> second = spawnCoordinator(name);
    assertTrue(get(second, ids.get(0)).isEmpty());
    for (String id : ids.subList(1, ids.size())) {
      JobStatus status = get(second, id).orElseThrow();
      assertEquals(JobState.SUCCEEDED, status.state(), status.toString());
      assertEquals(new JobStatus.Items(3, 3, 0, 0, 0), status.items());
      ItemCounts.assertAddUp(status);
    }
  }

  private ActorRef<Coordinator.Command> spawnCoordinator(String journalName) {
    Config config = testKit.system().settings().config();
    CoordinatorSettings settings = CoordinatorSettings.from(config);
    OpRegistry registry = OpRegistry.load(getClass().getClassLoader(), config);
    ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create());
    return testKit.spawn(Coordinator.create(settings, new JobSpecParser(registry, settings.job()), dispatcher,
        journalName));
  }

  private String runToEnd(ActorRef<Coordinator.Command> coordinator, String spec) {
    return awaitEnd(coordinator, submit(coordinator, spec));
  }

  private String submit(ActorRef<Coordinator.Command> coordinator, String spec) {
    TestProbe<Coordinator.SubmitReply> reply = testKit.createTestProbe();
    coordinator.tell(new Coordinator.Submit(spec, "spec.conf", dir, reply.ref()));
    return assertInstanceOf(Coordinator.Accepted.class, reply.receiveMessage(WAIT)).status().id();
  }

  private String awaitEnd(ActorRef<Coordinator.Command> coordinator, String id) {
    JobStatus status = testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(20), () -> {
      JobStatus now = get(coordinator, id).orElseThrow();
      assertTrue(now.state().isFinal(), now.toString());
      return now;
    });
    assertEquals(JobState.SUCCEEDED, status.state(), status.toString());
    return id;
  }

  private Optional<JobStatus> get(ActorRef<Coordinator.Command> coordinator, String id) {
    TestProbe<Optional<JobStatus>> reply = testKit.createTestProbe();
    coordinator.tell(new Coordinator.GetJob(id, reply.ref()));
    return reply.receiveMessage(WAIT);
  }

  /** Waits until each job's events (deleted or not) and snapshots in the journal number {@code expected}. */
  private void awaitRows(List<String> ids, int expected) {
    testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      List<String> wrong = new ArrayList<>();
      for (String id : ids) {
        int rows = rows(id, "event_journal") + rows(id, "snapshot");
        if (rows != expected) {
          wrong.add(id + ": " + rows);
        }
      }
      assertEquals(List.of(), wrong, "jobs whose rows in the journal are not " + expected);
      return null;
    });
  }

  private int rows(String id, String table) {
    Config db = testKit.system().settings().config().getConfig("pekko-persistence-jdbc.shared-databases.baton.db");
    try (Connection connection = DriverManager.getConnection(db.getString("url"), db.getString("user"),
        db.getString("password"));
        PreparedStatement count = connection.prepareStatement(
            "SELECT COUNT(*) FROM \"" + table + "\" WHERE \"persistence_id\" = ?")) {
      count.setString(1, "baton-job|" + id);
      try (ResultSet result = count.executeQuery()) {
        result.next();
        return result.getInt(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot count the rows of " + id + " in " + table + ": " + e.getMessage(), e);
    }
  }
}
