package baton.coordinator;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.slf4j.event.Level;

/**
 * How the coordinator lives with its journal ({@code baton.journal}): how its persistent actors restart when the
 * journal fails, how often a journal that failed is tried again, how long it may stay down before the process gives
 * up, and where finished jobs' events are deleted. Read once per actor system: {@code JournalSettings.get(system)}.
 *
 * @param database the journal's database, when it is the jdbc journal Baton configures; empty for another plugin
 * @param h2Compaction when an embedded H2's file is compacted while the coordinator runs
 * @param h2CompactTime how long one such compaction may take
 */
public record JournalSettings(
    Duration restartMin,
    Duration restartMax,
    double restartRandomFactor,
    Duration probeInterval,
    Duration maxDown,
    Optional<Database> database,
    CompactionSchedule h2Compaction,
    Duration h2CompactTime) implements Extension {

  /** Where the jdbc journal's tables are; user and password are null when the URL's driver picks them. */
  public record Database(String url, String user, String password) {
  }

  private static final ExtensionId<JournalSettings> ID = new ExtensionId<>() {
    @Override
    public JournalSettings createExtension(ActorSystem<?> system) {
      return from(system.settings().config());
    }
  };

  public static JournalSettings get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public static JournalSettings from(Config config) {
    Config journal = config.getConfig("baton.journal");
    Optional<Database> database = Optional.empty();
    String db = "pekko-persistence-jdbc.shared-databases." + Journal.SHARED_DB + ".db";
    if ("jdbc-journal".equals(config.getString("pekko.persistence.journal.plugin")) && config.hasPath(db)) {
      Config shared = config.getConfig(db);
      database = Optional.of(new Database(shared.getString("url"),
          shared.hasPath("user") ? shared.getString("user") : null,
          shared.hasPath("password") ? shared.getString("password") : null));
    }
    return new JournalSettings(
        journal.getDuration("restart-backoff.min"),
        journal.getDuration("restart-backoff.max"),
        journal.getDouble("restart-backoff.random-factor"),
        journal.getDuration("probe-interval"),
        journal.getDuration("max-down"),
        database,
        new CompactionSchedule(journal.getDuration("h2.compact-interval"), journal.getDuration("h2.compact-quiet"),
            journal.getDuration("h2.compact-max-delay")),
        journal.getDuration("h2.compact-time"));
  }

  /**
   * What a persistent actor does when the journal fails: it restarts after a backoff and reads its state back
   * from the journal. Pekko's own error line for each restart would repeat a stack trace every few seconds; the
   * journal watch logs the outage instead, so the restarts log at debug.
   */
  BackoffSupervisorStrategy onJournalFailure() {
    return SupervisorStrategy.restartWithBackoff(restartMin, restartMax, restartRandomFactor)
        .withLogLevel(Level.DEBUG);
  }
}
