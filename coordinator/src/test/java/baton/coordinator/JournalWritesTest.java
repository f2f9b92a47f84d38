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
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.h2.api.Trigger;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a job costs the journal: how many events it writes, and in how many writes (database transactions). Each
 * write is a round trip to the database that the writing actor waits for, so fewer writes mean more jobs a second.
 */
// One instance per class: TestKitJUnit5Extension shuts down only the last instance's test kit.
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
final class JournalWritesTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(Journal.withDatabase(ConfigFactory.load())).build();

  @TempDir
  Path dir;

  @BeforeAll
  void recordWrites() {
    execute("CREATE TRIGGER IF NOT EXISTS \"baton_test_writes\" BEFORE INSERT ON \"event_journal\" "
        + "FOR EACH ROW CALL '" + Record.class.getName() + "'");
  }

  @AfterAll
  void stopRecording() {
    execute("DROP TRIGGER IF EXISTS \"baton_test_writes\"");
  }

  @Test
  void job_tinyJobEndingBeforeItsFirstCheckpoint_writesNothingOfItsOwnAndItsEndInTheCoordinatorsWrite() {
    String journalName = "coordinator-" + UUID.randomUUID();
    ActorRef<Coordinator.Command> coordinator = spawnCoordinator(journalName);
    String id = submit(coordinator, "name = tiny\ninput.range { from = 1, to = 10 }\n"
        + "stages = [ { op = delay, millis = 0 } ]\n");
    JobStatus status = awaitEnd(coordinator, id);

    assertEquals(JobState.SUCCEEDED, status.state(), status.toString());
    ItemCounts.assertAddUp(status);
    // Its end is the coordinator's JobEnded alone: a start and an end of its own would be written only to be deleted.
    assertEquals(List.of(), Record.rows("baton-job|" + id), "the job's own events");
    assertEquals(List.of("JobAccepted", "JobEnded"), Record.rows(journalName).stream().map(Row::event).toList());
  }

  @Test
  void coordinator_submitsArrivingWhileItWritesAnAcceptedJob_acceptsThemAllInOneWrite() throws Exception {
    String journalName = "coordinator-" + UUID.randomUUID();
    ActorRef<Coordinator.Command> coordinator = spawnCoordinator(journalName);
    // The coordinator's first write waits until every other submit has been checked (its output folder made).
    Record.hold(journalName);
    TestProbe<Coordinator.SubmitReply> reply = testKit.createTestProbe();
    int jobs = 6;
    for (int i = 0; i < jobs; i++) {
      coordinator.tell(new Coordinator.Submit("name = tiny\ninput.range { from = 1, to = 2 }\n"
          + "stages = [ { op = delay, millis = 0 } ]\noutput = \"out-" + i + "/out.tsv\"\n", "spec.conf", dir,
          reply.ref()));
    }
    reply.awaitAssert(WAIT, Duration.ofMillis(20), () -> {
      for (int i = 0; i < jobs; i++) {
        assertTrue(Files.isDirectory(dir.resolve("out-" + i)), "out-" + i + " not made yet");
      }
      return null;
    });
    reply.awaitAssert(WAIT, Duration.ofMillis(20), () -> {
      assertTrue(Record.held(journalName), "the first write has not reached the journal");
      return null;
    });
    Record.release();
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < jobs; i++) {
      ids.add(assertInstanceOf(Coordinator.Accepted.class, reply.receiveMessage(WAIT)).status().id());
    }
    // The jobs write their outputs into the test's folder: they end before it is deleted.
    ids.forEach(id -> awaitEnd(coordinator, id));

    List<Row> accepted = Record.rows(journalName).stream().filter(row -> row.event().equals("JobAccepted"))
        .toList();
    assertEquals(jobs, accepted.size(), accepted.toString());
    // The first write takes the jobs checked before it started (one, or a few when their checks were quicker than
    // the coordinator's turn to write), and one more write all that came while it was held.
    assertTrue(writes(accepted) <= 2, "the first jobs, then the rest that came meanwhile: " + accepted);
  }

  /** How many transactions wrote these rows. */
  private static int writes(List<Row> rows) {
    Map<Object, Boolean> transactions = new IdentityHashMap<>();
    rows.forEach(row -> transactions.put(row.transaction(), true));
    return transactions.size();
  }

  private ActorRef<Coordinator.Command> spawnCoordinator(String journalName) {
    Config config = testKit.system().settings().config();
    CoordinatorSettings settings = CoordinatorSettings.from(config);
    OpRegistry registry = OpRegistry.load(getClass().getClassLoader(), config);
    ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create());
    return testKit.spawn(Coordinator.create(settings, new JobSpecParser(registry, settings.job()), dispatcher,
        journalName));
  }

  private String submit(ActorRef<Coordinator.Command> coordinator, String spec) {
    TestProbe<Coordinator.SubmitReply> reply = testKit.createTestProbe();
    coordinator.tell(new Coordinator.Submit(spec, "spec.conf", dir, reply.ref()));
    return assertInstanceOf(Coordinator.Accepted.class, reply.receiveMessage(WAIT)).status().id();
  }

  private JobStatus awaitEnd(ActorRef<Coordinator.Command> coordinator, String id) {
    return testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(20), () -> {
      TestProbe<Optional<JobStatus>> reply = testKit.createTestProbe();
      coordinator.tell(new Coordinator.GetJob(id, reply.ref()));
      JobStatus now = reply.receiveMessage(WAIT).orElseThrow();
      assertTrue(now.state().isFinal(), now.toString());
      return now;
    });
  }

  private void execute(String sql) {
    Config db = testKit.system().settings().config().getConfig("pekko-persistence-jdbc.shared-databases.baton.db");
    try (Connection connection = DriverManager.getConnection(db.getString("url"), db.getString("user"),
        db.getString("password"));
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot change the journal: " + e.getMessage(), e);
    }
  }

  /** One event row as it was inserted: its persistence id, event type and the transaction that wrote it. */
  record Row(String persistenceId, long sequenceNr, String event, Object transaction) {
    @Override
    public String toString() {
      return sequenceNr + " " + event + " in write @" + System.identityHashCode(transaction);
    }
  }

  /**
   * The trigger: records every inserted event row with the H2 transaction that inserts it (the object, so that two
   * transactions never look alike), and can hold the first write of one persistence id until released.
   */
  public static final class Record implements Trigger {
    private static final Map<String, List<Row>> ROWS = new ConcurrentHashMap<>();
    private static final Map<String, CountDownLatch> HOLD = new ConcurrentHashMap<>();
    private static final Map<String, Boolean> HELD = new ConcurrentHashMap<>();
    private static volatile CountDownLatch release = new CountDownLatch(0);

    static List<Row> rows(String persistenceId) {
      List<Row> rows = ROWS.getOrDefault(persistenceId, List.of());
      synchronized (rows) {
        List<Row> sorted = new ArrayList<>(rows);
        sorted.sort((a, b) -> Long.compare(a.sequenceNr(), b.sequenceNr()));
        return sorted;
      }
    }

    static void hold(String persistenceId) {
      release = new CountDownLatch(1);
      HOLD.put(persistenceId, release);
    }

    static boolean held(String persistenceId) {
      return HELD.containsKey(persistenceId);
    }

    static void release() {
      release.countDown();
    }

    @Override
    public void fire(Connection connection, Object[] oldRow, Object[] newRow) throws SQLException {
      // The columns of h2-schema.sql: ordering, deleted, persistence_id, sequence_number, ..., event_ser_manifest.
      String persistenceId = String.valueOf(newRow[2]);
      String manifest = String.valueOf(newRow[9]);
      Object transaction = ((SessionLocal) connection.unwrap(JdbcConnection.class).getSession()).getTransaction();
      ROWS.computeIfAbsent(persistenceId, id -> Collections.synchronizedList(new ArrayList<>()))
          .add(new Row(persistenceId, ((Number) newRow[3]).longValue(),
              manifest.substring(manifest.lastIndexOf('$') + 1), transaction));
      CountDownLatch hold = HOLD.remove(persistenceId);
      if (hold != null) {
        HELD.put(persistenceId, true);
        try {
          hold.await(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
