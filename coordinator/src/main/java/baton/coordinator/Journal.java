package baton.coordinator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;

/**
 * Where the coordinator's journal lives: the database in {@code baton.journal}, by default an embedded H2, a file in
 * {@code baton.coordinator.data-dir} or, when that is empty, a database in memory of this process alone; or a
 * PostgreSQL server, when {@code baton.journal.db.url} is a {@code jdbc:postgresql:} URL, whose tables
 * {@link #open} makes on first start.
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
  private static final String POSTGRES = "jdbc:postgresql:";
  private static final String POSTGRES_SCHEMA = "baton/postgres-schema.sql";
  // Any number, the same in every coordinator: the lock that lets one of them at a time make the tables.
  private static final long SCHEMA_LOCK = 0x6261746f6eL;
  // The driver warns through java.util.logging, to stderr, of a URL it cannot read; open says so itself, in one line.
  // Held here: java.util.logging keeps its loggers, and so their level, only while something refers to them.
  private static final java.util.logging.Logger URL_PARSER =
      java.util.logging.Logger.getLogger("org.postgresql.util.PGPropertyUtil");

  private Journal() {
  }

  /**
   * Opens the journal's database once, so that a journal that cannot be used (another coordinator holds the data
   * dir, no permission, a PostgreSQL server that is down or refuses the user) is one clear message at start rather
   * than a failure of the first job. On PostgreSQL it also makes the journal's tables, if they are not there yet.
   * The messages name the database by its URL, which {@link #withDatabase} has freed of the password.
   *
   * @throws CannotOpen with a message for the user when the database cannot be used
   */
  public static void open(Config config) {
    Config db = config.getConfig("pekko-persistence-jdbc.shared-databases." + SHARED_DB + ".db");
    String url = db.getString("url");
    String user = db.hasPath("user") ? db.getString("user") : null;
    String password = db.hasPath("password") ? db.getString("password") : null;
    if (!url.startsWith(POSTGRES)) {
      try (Connection connection = DriverManager.getConnection(url, user, password)) {
        connection.isValid(5);
      } catch (SQLException e) {
        String where = config.getString("baton.coordinator.data-dir");
        throw new CannotOpen(CannotOpen.Kind.REFUSED, "cannot open the journal" + (where.isEmpty() ? "" : " in "
            + where) + " (is another coordinator using it?): " + firstLine(e), e);
      }
      return;
    }
    URL_PARSER.setLevel(java.util.logging.Level.OFF);
    try {
      DriverManager.getDriver(url);
    } catch (SQLException e) {
      throw new CannotOpen(CannotOpen.Kind.BAD_URL, "the journal URL " + url + " is not one PostgreSQL's driver "
          + "reads; the form is jdbc:postgresql://HOST:PORT/DATABASE?user=USER", e);
    }
    try (Connection connection = DriverManager.getConnection(url, user, password)) {
      createTables(connection);
    } catch (SQLException e) {
      throw postgresFailure(url, e);
    }
  }

  /** Why {@link #open} could not open the journal: the message is for the user, the kind picks the exit code. */
  public static final class CannotOpen extends IllegalStateException {

    /** What failed. */
    public enum Kind {
      /** The URL is not one the driver reads. */
      BAD_URL,
      /** No server answered at the URL's host and port: it may be up later. */
      UNREACHABLE,
      /** The database is there but refused: a wrong password, no such user or database, a locked data dir. */
      REFUSED
    }

    private final Kind kind;

    CannotOpen(Kind kind, String message, Throwable cause) {
      super(message, cause);
      this.kind = kind;
    }

    public Kind kind() {
      return kind;
    }
  }

  private static CannotOpen postgresFailure(String url, SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    Throwable cause = e.getCause();
    boolean unreachable = state.startsWith("08") && (cause instanceof ConnectException
        || cause instanceof UnknownHostException || cause instanceof NoRouteToHostException
        || cause instanceof SocketTimeoutException);
    if (unreachable) {
      String why = cause instanceof UnknownHostException ? "unknown host " + cause.getMessage() : firstLine(e);
      return new CannotOpen(CannotOpen.Kind.UNREACHABLE, "cannot reach the journal's PostgreSQL at " + url + ": "
          + why, e);
    }
    return new CannotOpen(CannotOpen.Kind.REFUSED, "cannot use the journal's PostgreSQL at " + url + ": "
        + firstLine(e), e);
  }

  private static String firstLine(SQLException e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    return message.lines().findFirst().orElse("").strip();
  }

  /**
   * Makes the journal's tables unless they are there, in one transaction under an advisory lock: two coordinators
   * starting at once on an empty database would otherwise both make them, and one would fail.
   */
  private static void createTables(Connection connection) throws SQLException {
    connection.setAutoCommit(false);
    try (Statement statement = connection.createStatement()) {
      statement.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
      for (String sql : postgresSchema()) {
        statement.execute(sql);
      }
      connection.commit();
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    }
  }

  private static List<String> postgresSchema() {
    try (InputStream in = Journal.class.getClassLoader().getResourceAsStream(POSTGRES_SCHEMA)) {
      if (in == null) {
        throw new IllegalStateException("no " + POSTGRES_SCHEMA + " on the class path");
      }
      String script = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
          .filter(line -> !line.strip().startsWith("--"))
          .collect(Collectors.joining("\n", "", "\n"));
      return Arrays.stream(script.split(";\\s*\n")).map(String::strip).filter(sql -> !sql.isEmpty()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
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
   * Compacts the journal's file for at most {@code compactFor}, when it is an embedded H2; nothing for another
   * database (PostgreSQL's autovacuum does its part). Blocking: call it on the blocking-io dispatcher.
   *
   * @throws IllegalStateException when the database refused
   */
  static void compact(JournalSettings.Database database, Duration compactFor) {
    if (!database.url().startsWith("jdbc:h2:")) {
      return;
    }
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

  /**
   * The config with Pekko Persistence pointed at Baton's journal, unless it already names other plugins. A
   * {@code jdbc:postgresql:} URL brings PostgreSQL's Slick profile and driver, and its {@code user} and
   * {@code password} parameters move into the database's settings (over {@code baton.journal.db.user} and
   * {@code password}), so that the URL can be shown in messages and logs.
   */
  public static Config withDatabase(Config config) {
    Config database = config.getConfig("baton.journal");
    String url = database.getString("db.url");
    if (url.isEmpty()) {
      String dataDir = config.getString("baton.coordinator.data-dir");
      url = dataDir.isEmpty()
          ? "jdbc:h2:mem:baton-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1" + H2_OPTIONS
          : "jdbc:h2:file:" + Path.of(dataDir).toAbsolutePath().normalize().resolve("journal") + H2_OPTIONS
              + ";RETENTION_TIME=" + database.getDuration("h2.retention-time").toMillis()
              + ";MAX_COMPACT_TIME=" + database.getDuration("h2.max-compact-time").toMillis();
      database = database.withValue("db.url", ConfigValueFactory.fromAnyRef(url));
    }
    if (url.startsWith(POSTGRES)) {
      database = postgres(database, url);
    } else if (url.startsWith("jdbc:h2:") && database.getString("db.user").isEmpty()) {
      database = database.withValue("db.user", ConfigValueFactory.fromAnyRef(database.getString("h2.user")));
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

  /**
   * PostgreSQL's profile and driver, and the user and password out of the URL's parameters (URL-decoded, as the
   * driver reads them). An empty user or password is left out, so that the driver's own defaults apply.
   */
  private static Config postgres(Config database, String url) {
    String user = database.getString("db.user");
    String password = database.getString("db.password");
    String base = url;
    List<String> kept = new ArrayList<>();
    int query = url.indexOf('?');
    if (query >= 0) {
      base = url.substring(0, query);
      for (String parameter : url.substring(query + 1).split("&")) {
        String name = parameter.contains("=") ? parameter.substring(0, parameter.indexOf('=')) : parameter;
        String value = parameter.contains("=") ? parameter.substring(parameter.indexOf('=') + 1) : "";
        switch (name) {
          case "user" -> user = URLDecoder.decode(value, StandardCharsets.UTF_8);
          case "password" -> password = URLDecoder.decode(value, StandardCharsets.UTF_8);
          default -> {
            if (!parameter.isEmpty()) {
              kept.add(parameter);
            }
          }
        }
      }
    }
    Config postgres = database
        .withValue("profile", ConfigValueFactory.fromAnyRef(database.getString("postgres.profile")))
        .withValue("db.driver", ConfigValueFactory.fromAnyRef(database.getString("postgres.driver")))
        .withValue("db.url", ConfigValueFactory.fromAnyRef(kept.isEmpty() ? base : base + "?" + String.join("&",
            kept)))
        .withoutPath("db.user")
        .withoutPath("db.password");
    if (!user.isEmpty()) {
      postgres = postgres.withValue("db.user", ConfigValueFactory.fromAnyRef(user));
    }
    if (!password.isEmpty()) {
      postgres = postgres.withValue("db.password", ConfigValueFactory.fromAnyRef(password));
    }
    return postgres;
  }
}
