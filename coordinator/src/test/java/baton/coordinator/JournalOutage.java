package baton.coordinator;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.h2.api.Trigger;

/**
 * Makes every write of events to an H2 journal fail, as a full disk or a lost database would, until closed: a
 * trigger on the events table refuses each insert. Reads still work.
 */
public final class JournalOutage implements AutoCloseable {

  /** What every refused write says. */
  public static final String REASON = "the test's journal outage";
  // The persistence ids whose writes were refused; H2 calls the trigger on its own threads.
  private static final Set<String> REFUSED = ConcurrentHashMap.newKeySet();

  private final Config db;

  private JournalOutage(Config db) {
    this.db = db;
  }

  /** Starts an outage of the journal that {@code config} (after {@link Journal#withDatabase}) points at. */
  public static JournalOutage start(Config config) {
    REFUSED.clear();
    JournalOutage outage = new JournalOutage(
        config.getConfig("pekko-persistence-jdbc.shared-databases.baton.db"));
    outage.execute("CREATE TRIGGER IF NOT EXISTS \"baton_test_outage\" BEFORE INSERT ON \"event_journal\" "
        + "FOR EACH ROW CALL '" + Refuse.class.getName() + "'");
    return outage;
  }

  /** Whether a write of events of {@code persistenceId} was refused since the outage started. */
  public boolean refused(String persistenceId) {
    return REFUSED.contains(persistenceId);
  }

  /** Ends the outage. */
  @Override
  public void close() {
    execute("DROP TRIGGER IF EXISTS \"baton_test_outage\"");
  }

  private void execute(String sql) {
    try (Connection connection = DriverManager.getConnection(db.getString("url"), db.getString("user"),
        db.getString("password"));
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot change the journal: " + e.getMessage(), e);
    }
  }

  /** The trigger: H2 makes one per table and calls it for every row inserted. */
  public static final class Refuse implements Trigger {
    @Override
    public void fire(Connection connection, Object[] oldRow, Object[] newRow) throws SQLException {
      // The columns of h2-schema.sql: ordering, deleted, persistence_id, ...
      REFUSED.add(String.valueOf(newRow[2]));
      throw new SQLException(REASON);
    }
  }
}
