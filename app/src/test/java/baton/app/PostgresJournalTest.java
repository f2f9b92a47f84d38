package baton.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.app.it.TestPostgres;
import baton.coordinator.BatonConfig;
import baton.coordinator.Coordinator;
import baton.coordinator.Journal;
import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.node.NodeSettings;
import baton.protocol.op.OpRegistry;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's journal on a real PostgreSQL (embedded, from Maven): tables made at start, jobs run and kept
 * across a restart, ended jobs' events deleted. Each test has a fresh database.
 */
final class PostgresJournalTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  @RegisterExtension
  static final TestPostgres POSTGRES = new TestPostgres();

  @TempDir
  Path dir;

  @Test
  void withDatabase_postgresUrl_postgresProfileAndDriverCredentialsTakenOutOfTheUrl() {
    Config config = Journal.withDatabase(journalAt("jdbc:postgresql://127.0.0.1:5432/baton?user=baton"
        + "&password=s%26cret&ssl=false"));

    String db = "pekko-persistence-jdbc.shared-databases.baton.";
    assertEquals("slick.jdbc.PostgresProfile$", config.getString(db + "profile"));
    assertEquals("org.postgresql.Driver", config.getString(db + "db.driver"));
    assertEquals("jdbc:postgresql://127.0.0.1:5432/baton?ssl=false", config.getString(db + "db.url"));
    assertEquals("baton", config.getString(db + "db.user"));
    assertEquals("s&cret", config.getString(db + "db.password"));
  }

  @Test
  void withDatabase_noUrl_embeddedH2AsBefore() {
    Config config = Journal.withDatabase(BatonConfig.load(getClass().getClassLoader())
        .withValue("baton.coordinator.data-dir", ConfigValueFactory.fromAnyRef(dir.toString())));

    String db = "pekko-persistence-jdbc.shared-databases.baton.";
    assertEquals("slick.jdbc.H2Profile$", config.getString(db + "profile"));
    assertEquals("org.h2.Driver", config.getString(db + "db.driver"));
    assertEquals("sa", config.getString(db + "db.user"));
    assertTrue(config.getString(db + "db.url").startsWith("jdbc:h2:file:"), config.getString(db + "db.url"));
  }

  @Test
  void coordinator_journalOnPostgres_runsJobKeepsItAcrossRestartAndDeletesItsEvents() throws Exception {
    String url = POSTGRES.newDatabase();
    Config config = Journal.withDatabase(journalAt(url));
    Journal.open(config);
    Path output = dir.resolve("out.tsv");
    String spec = "name = pg\ninput.range { from = 1, to = 500 }\nstages = [ { op = sha256 } ]\n"
        + "output = \"" + output + "\"\n";
    String id;
    try (Embedded baton = start(config)) {
      Coordinator.SubmitReply reply = baton.submit(spec, "pg.conf", dir).toCompletableFuture().get();
      assertTrue(reply instanceof Coordinator.Accepted, reply.toString());
      id = ((Coordinator.Accepted) reply).status().id();
      JobStatus done = awaitEnded(baton, id);
      assertEquals(JobState.SUCCEEDED, done.state(), done.toString());
      assertEquals(500, done.items().succeeded());
      assertEquals(done.items().total(), done.items().succeeded() + done.items().failed()
          + done.items().filtered() + done.items().notRun());
      awaitRows(url, "SELECT count(*) FROM event_journal WHERE persistence_id = 'baton-job|" + id + "'", 0);
    }
    assertEquals(500, Files.readAllLines(output).size());

    try (Embedded again = start(Journal.withDatabase(journalAt(url)))) {
      JobStatus kept = again.status(id).toCompletableFuture().get().orElseThrow();
      assertEquals(JobState.SUCCEEDED, kept.state(), kept.toString());
      assertEquals(500, kept.items().succeeded());
    }
  }

  @Test
  void open_twoCoordinatorsAtOnceOnAnEmptyDatabase_bothStartAndTheTablesAreThere() throws Exception {
    for (int round = 0; round < 5; round++) {
      String url = POSTGRES.newDatabase();
      Config config = Journal.withDatabase(journalAt(url));
      List<CompletableFuture<Void>> opens = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        opens.add(CompletableFuture.runAsync(() -> Journal.open(config)));
      }
      for (CompletableFuture<Void> open : opens) {
        open.get(30, TimeUnit.SECONDS);
      }
      assertEquals(3, count(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
          + "AND table_name IN ('event_journal', 'event_tag', 'snapshot')"));
    }
  }

  @Test
  void open_passwordInConfigNotInUrl_connectsAndMakesTheTables() throws Exception {
    String user = POSTGRES.newUser("from-the-conf-file");
    String url = POSTGRES.newDatabase();
    POSTGRES.execute("GRANT ALL ON SCHEMA public TO " + user);
    POSTGRES.execute("ALTER DATABASE " + url.replaceAll(".*/([^?]+)\\?.*", "$1") + " OWNER TO " + user);
    Config config = Journal.withDatabase(journalAt(url.replace("user=postgres", "user=" + user))
        .withValue("baton.journal.db.password", ConfigValueFactory.fromAnyRef("from-the-conf-file")));

    Journal.open(config);

    assertEquals(3, count(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = '"
        + user + "'"));
  }

  private Config journalAt(String url) {
    return BatonConfig.load(getClass().getClassLoader())
        .withValue("baton.journal.db.url", ConfigValueFactory.fromAnyRef(url))
        .withValue("baton.coordinator.data-dir", ConfigValueFactory.fromAnyRef(dir.resolve("unused").toString()));
  }

  private static Embedded start(Config config) {
    return Embedded.start(config, OpRegistry.load(PostgresJournalTest.class.getClassLoader(), config),
        NodeSettings.from(config).withWorkers(2));
  }

  private static JobStatus awaitEnded(Embedded baton, String id) throws Exception {
    Instant deadline = Instant.now().plus(WAIT);
    JobStatus last = null;
    while (Instant.now().isBefore(deadline)) {
      last = baton.status(id).toCompletableFuture().get().orElseThrow();
      if (last.finishedAt() != null) {
        return last;
      }
      TimeUnit.MILLISECONDS.sleep(100); // polling interval of an await with a deadline
    }
    throw new AssertionError("job " + id + " did not end in " + WAIT + ": " + last);
  }

  private static void awaitRows(String url, String sql, long expected) throws Exception {
    Instant deadline = Instant.now().plus(WAIT);
    long last = -1;
    while (Instant.now().isBefore(deadline)) {
      last = count(url, sql);
      if (last == expected) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(100); // polling interval of an await with a deadline
    }
    throw new AssertionError(sql + " gave " + last + ", not " + expected + ", for " + WAIT);
  }

  private static long count(String url, String sql) throws SQLException {
    try (Connection connection = DriverManager.getConnection(url);
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      assertTrue(rows.next());
      long count = rows.getLong(1);
      assertFalse(rows.next());
      return count;
    }
  }
}
