package baton.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.BatonConfig;
import baton.coordinator.JournalSettings;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The actor system {@code baton run} starts: its journal lives and dies with the process, without a database. */
final class EmbeddedTest {

  @TempDir
  Path dir;

  @Test
  void systemConfig_noDataDir_inMemoryJournalAndSnapshotsWithoutJdbc() {
    Config config = Embedded.systemConfig(BatonConfig.load(EmbeddedTest.class.getClassLoader()));

    assertEquals("pekko.persistence.journal.inmem", config.getString("pekko.persistence.journal.plugin"));
    assertEquals("baton.run.snapshot-store", config.getString("pekko.persistence.snapshot-store.plugin"));
    assertEquals(MemorySnapshotStore.class.getName(), config.getString("baton.run.snapshot-store.class"));
    assertTrue(JournalSettings.from(config).database().isEmpty(), "the jdbc journal's database is still set");
    assertEquals(100000, config.getInt("pekko.persistence.typed.stash-capacity"));
  }

  @Test
  void systemConfig_dataDir_keepsTheH2Journal() {
    Config config = Embedded.systemConfig(BatonConfig.load(EmbeddedTest.class.getClassLoader())
        .withValue("baton.coordinator.data-dir", ConfigValueFactory.fromAnyRef(dir.toString())));

    assertEquals("jdbc-journal", config.getString("pekko.persistence.journal.plugin"));
    assertTrue(JournalSettings.from(config).database().orElseThrow().url().startsWith("jdbc:h2:file:"),
        config.getString("pekko-persistence-jdbc.shared-databases.baton.db.url"));
  }
}
