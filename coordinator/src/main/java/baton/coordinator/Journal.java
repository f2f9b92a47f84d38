package baton.coordinator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;

/**
 * Where the coordinator's journal lives: the database in {@code baton.journal}, by default an embedded H2, a file in
 * {@code baton.coordinator.data-dir} or, when that is empty, a database in memory of this process alone.
 *
 * <p>The jdbc plugin's settings are set here rather than in {@code reference.conf}: the shaded jar appends every
 * module's {@code reference.conf} into one, and Pekko Persistence's own defaults would come after ours.
 */
public final class Journal {

  static final String SHARED_DB = "baton";
  private static final List<String> PLUGINS =
      List.of("jdbc-journal", "jdbc-snapshot-store", "jdbc-read-journal", "jdbc-durable-state-store");
  // Tables are made on first use; WRITE_DELAY=0 hands each commit to the OS at once, so a killed process keeps it.
  private static final String H2_OPTIONS = ";WRITE_DELAY=0;INIT=RUNSCRIPT FROM 'classpath:baton/h2-schema.sql'";
  private static final String EVENTS = "DELETE FROM \"event_journal\" WHERE \"persistence_id\" = ?";
  private static final String SNAPSHOTS = "DELETE FROM \"snapshot\" WHERE \"persistence_id\" = ?";

  private Journal() {
  }

  /**
   * Opens the journal's database once, so that a data dir that cannot be used (another coordinator holds it, no
   * permission) is one clear message at start rather than a failure of the first job.
   *
   * @throws IllegalStateException with a message for the user when the database cannot be opened
   */
  public static void open(Config config) {
    Config db = config.getConfig("pekko-persistence-jdbc.shared-databases." + SHARED_DB + ".db");
    String url = db.getString("url");
    try (Connection connection = DriverManager.getConnection(url, db.getString("user"), db.getString("password"))) {
      connection.isValid(5);
    } catch (SQLException e) {
      String where = config.getString("baton.coordinator.data-dir");
      throw new IllegalStateException("cannot open the journal" + (where.isEmpty() ? "" : " in " + where)
          + " (is another coordinator using it?): " + e.getMessage().lines().findFirst().orElse(""), e);
    }
  }

  /**
   * Deletes every event and snapshot of some persistence ids, in one transaction. Pekko's own delete
   * ({@code DeleteMessagesTo}) keeps the last event of each id in pekko-persistence-jdbc, so with one id per job the
   * journal would still grow by an event per job; an id deleted here starts again from nothing, which is right for
   * a job id that is never used again. Blocking: call it on the blocking-io dispatcher.
   *
   * @return how many events and snapshots were deleted
   * @throws IllegalStateException when the database refused
   */
  static int forget(JournalSettings.Database database, List<String> persistenceIds) {
    // The tables exist by now (the ended jobs wrote to them): a connection that runs the schema script again, as
    // every new connection with the journal's URL does, took half of this method's time (JFR).
    String url = database.url().replaceFirst(";INIT=[^;]*", "");
    try (Connection connection = DriverManager.getConnection(url, database.user(), database.password())) {
      connection.setAutoCommit(false);
      int deleted = 0;
      for (String sql : List.of(EVENTS, SNAPSHOTS)) {
        try (PreparedStatement delete = connection.prepareStatement(sql)) {
          for (String persistenceId : persistenceIds) {
            delete.setString(1, persistenceId);
            delete.addBatch();
          }
          for (int rows : delete.executeBatch()) {
            deleted += rows;
          }
        }
      }
      connection.commit();
      return deleted;
    } catch (SQLException e) {
      throw new IllegalStateException("cannot delete the events of " + persistenceIds + ": " + e.getMessage(), e);
    }
  }

  /**
   * Compacts the journal's file for at most {@code compactFor}, when it is an embedded H2. Blocking: call it on the
   * blocking-io dispatcher.
   *
   * @throws IllegalStateException when the database refused
   */
  static void compact(JournalSettings.Database database, Duration compactFor) {
    String url = database.url().replaceFirst(";INIT=[^;]*", "");
    try (Connection connection = DriverManager.getConnection(url, database.user(), database.password())) {
      compactH2(connection, compactFor);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot compact the journal: " + e.getMessage(), e);
    }
  }

  /**
   * Compacts an embedded H2's file, as H2 does when it closes. H2 writes each commit as a new chunk of the file and
   * keeps chunks that still hold a few live pages; it rewrites and moves them only in its background thread, which
   * WRITE_DELAY=0 turns off, or when it closes. Without this, the file grows all the time the coordinator runs.
   */
  private static void compactH2(Connection connection, Duration compactFor) throws SQLException {
    if (connection.isWrapperFor(JdbcConnection.class)
        && connection.unwrap(JdbcConnection.class).getSession() instanceof SessionLocal session
        && session.getDatabase().getStore() != null) {
      session.getDatabase().getStore().getMvStore().compactFile((int) compactFor.toMillis());
    }
  }

  /** The config with Pekko Persistence pointed at Baton's journal, unless it already names other plugins. */
  public static Config withDatabase(Config config) {
    Config database = config.getConfig("baton.journal");
    if (database.getString("db.url").isEmpty()) {
      String dataDir = config.getString("baton.coordinator.data-dir");
      String url = dataDir.isEmpty()
          ? "jdbc:h2:mem:baton-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1" + H2_OPTIONS
          : "jdbc:h2:file:" + Path.of(dataDir).toAbsolutePath().normalize().resolve("journal") + H2_OPTIONS
              + ";RETENTION_TIME=" + database.getDuration("h2.retention-time").toMillis()
              + ";MAX_COMPACT_TIME=" + database.getDuration("h2.max-compact-time").toMillis();
      database = database.withValue("db.url", ConfigValueFactory.fromAnyRef(url));
    }
    Config overlay = ConfigFactory.empty()
        .withValue("pekko-persistence-jdbc.shared-databases." + SHARED_DB, database.root())
        .withValue("pekko.persistence.typed.stash-capacity",
            ConfigValueFactory.fromAnyRef(database.getInt("stash-capacity")));
    if (config.getString("pekko.persistence.journal.plugin").isEmpty()) {
      overlay = overlay.withValue("pekko.persistence.journal.plugin", ConfigValueFactory.fromAnyRef("jdbc-journal"));
    }
    if (config.getString("pekko.persistence.snapshot-store.plugin").isEmpty()) {
      overlay = overlay.withValue("pekko.persistence.snapshot-store.plugin",
          ConfigValueFactory.fromAnyRef("jdbc-snapshot-store"));
    }
    for (String plugin : PLUGINS) {
      if (!config.hasPath(plugin + ".use-shared-db")) {
        overlay = overlay.withValue(plugin + ".use-shared-db", ConfigValueFactory.fromAnyRef(SHARED_DB));
      }
    }
    return overlay.withFallback(config);
  }
}
