package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.coordinator.spec.JobSpecParser;
import baton.protocol.op.OpRegistry;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Writes the journal fixture that {@link JournalFixtureTest} reads: {@code src/test/resources/journal-v1/}, the
 * H2 file a coordinator started with {@code --data-dir} keeps ({@code journal.mv.db}). Run it only when the journal
 * format gets a new version, into a new folder, and keep the old folders and their tests:
 * <pre>
 * mvn -B -o -pl coordinator -am test -Dtest=JournalFixtureWriter -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dbaton.journal-fixture.write=$PWD/coordinator/src/test/resources/journal-v1
 * </pre>
 * It runs a coordinator (journal name {@code baton-coordinator}, as {@code baton coordinator} has) in
 * {@link #WORK}, submits four jobs with the base dir {@link #WORK}, one after the other: {@code fixture-ok}
 * succeeds and writes its output, {@code fixture-failing} fails after two failed items, {@code fixture-cancelled}
 * is cancelled after a few items, and {@code fixture-running} is left running (after more than 100 checkpoints, so
 * its own journal has a snapshot and events after it) when the actor system stops; meanwhile {@link #TINY_JOBS}
 * one-item jobs {@code fixture-tiny} run, so that the coordinator's journal has a snapshot too, with one event
 * after it. Then it closes H2 with
 * {@code SHUTDOWN COMPACT} and copies the file. It prints the statuses, which the test asserts.
 */
@ExtendWith(LogCapturingExtension.class)
@EnabledIfSystemProperty(named = "baton.journal-fixture.write", matches = ".+")
final class JournalFixtureWriter {

  /** The base dir of the jobs; the succeeded job's output path names it. */
  static final Path WORK = Path.of("/tmp/baton-journal-v1");

  /** How many one-item jobs follow the four: enough to make the coordinator write a snapshot. */
  static final int TINY_JOBS = 97;

  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void write() throws Exception {
    Path target = Path.of(System.getProperty("baton.journal-fixture.write"));
    deleteRecursively(WORK);
    Path data = Files.createDirectories(WORK.resolve("data"));
    Config config = Journal.withDatabase(ConfigFactory.parseString("baton.coordinator.checkpoint-interval = 5ms\n"
        // H2's online compaction once closed the database here (an AssertionError in compactMoveChunks, with -ea);
        // SHUTDOWN COMPACT below does it instead.
        + "baton.journal.h2.compact-interval = 1h")
        .withValue("baton.coordinator.data-dir", ConfigValueFactory.fromAnyRef(data.toString()))
        .withFallback(ConfigFactory.load()));
    ActorTestKit testKit = ActorTestKit.create("fixture", config);
    try {
      CoordinatorSettings settings = CoordinatorSettings.from(config);
      OpRegistry registry = OpRegistry.load(getClass().getClassLoader(), config);
      ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create(), "dispatcher");
      ActorRef<Coordinator.Command> coordinator = testKit.spawn(
          Coordinator.create(settings, new JobSpecParser(registry, settings.job()), dispatcher), "coordinator");

      String ok = submit(testKit, coordinator, "name = fixture-ok\ninput.range { from = 1, to = 10 }\n"
          + "stages = [ { op = delay, millis = 1, parallelism = 2 } ]\noutput = \"out/ok.tsv\"\n");
      await(testKit, coordinator, ok, status -> status.state() == JobState.SUCCEEDED);
      String failing = submit(testKit, coordinator, "name = fixture-failing\ninput.range { from = 1, to = 5 }\n"
          + "stages = [ { op = read-file, parallelism = 1 } ]\nretries = 0\nmax-failed-items = 1\n");
      await(testKit, coordinator, failing, status -> status.state() == JobState.FAILED);
      String cancelled = submit(testKit, coordinator, "name = fixture-cancelled\ninput.range { from = 1, to = 50 }\n"
          + "stages = [ { op = delay, millis = 100, parallelism = 2 } ]\n");
      await(testKit, coordinator, cancelled, status -> status.items().succeeded() >= 4);
      TestProbe<Optional<JobStatus>> cancel = testKit.createTestProbe();
      coordinator.tell(new Coordinator.CancelJob(cancelled, cancel.ref()));
      cancel.receiveMessage(WAIT);
      await(testKit, coordinator, cancelled, status -> status.state() == JobState.CANCELLED);
      String running = submit(testKit, coordinator, "name = fixture-running\ninput.range { from = 1, to = 1200 }\n"
          + "stages = [ { op = delay, millis = 10, parallelism = 1 } ]\n");
      // The coordinator snapshots every 200 events, two a job: these take it to 201, so its snapshot holds the
      // three ended jobs, the running one and most tiny ones, and one event comes after it.
      for (int i = 0; i < TINY_JOBS; i++) {
        String tiny = submit(testKit, coordinator, "name = fixture-tiny\ninput.range { from = 1, to = 1 }\n"
            + "stages = [ { op = delay, millis = 0 } ]\n");
        await(testKit, coordinator, tiny, status -> status.state() == JobState.SUCCEEDED);
      }
      await(testKit, coordinator, running, status -> status.items().succeeded() >= 1000);

      TestProbe<List<JobStatus>> list = testKit.createTestProbe();
      coordinator.tell(new Coordinator.ListJobs(list.ref()));
      list.receiveMessage(WAIT).forEach(System.out::println);
    } finally {
      testKit.shutdownTestKit();
    }
    String url = config.getString("pekko-persistence-jdbc.shared-databases." + Journal.SHARED_DB + ".db.url");
    try (Connection connection = DriverManager.getConnection(url, "sa", "");
        Statement statement = connection.createStatement()) {
      statement.execute("SHUTDOWN COMPACT");
    }
    Files.createDirectories(target);
    Files.copy(data.resolve("journal.mv.db"), target.resolve("journal.mv.db"), StandardCopyOption.REPLACE_EXISTING);
    deleteRecursively(WORK);
  }

  private static String submit(ActorTestKit testKit, ActorRef<Coordinator.Command> coordinator, String spec) {
    TestProbe<Coordinator.SubmitReply> reply = testKit.createTestProbe();
    coordinator.tell(new Coordinator.Submit(spec, "fixture.conf", WORK, reply.ref()));
    return assertInstanceOf(Coordinator.Accepted.class, reply.receiveMessage(WAIT)).status().id();
  }

  private static JobStatus await(ActorTestKit testKit, ActorRef<Coordinator.Command> coordinator, String id,
      Predicate<JobStatus> condition) {
    TestProbe<Optional<JobStatus>> reply = testKit.createTestProbe();
    return reply.awaitAssert(WAIT, Duration.ofMillis(20), () -> {
      coordinator.tell(new Coordinator.GetJob(id, reply.ref()));
      JobStatus status = reply.receiveMessage(WAIT).orElseThrow();
      assertEquals(true, condition.test(status), status.toString());
      return status;
    });
  }

  private static void deleteRecursively(Path dir) throws Exception {
    if (Files.exists(dir)) {
      try (Stream<Path> paths = Files.walk(dir)) {
        for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(path);
        }
      }
    }
  }
}
