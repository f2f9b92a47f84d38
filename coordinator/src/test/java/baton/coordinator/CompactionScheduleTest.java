package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * When the coordinator compacts an embedded H2's file: writes wait while it does, so it waits for a quiet moment,
 * but not for ever.
 */
final class CompactionScheduleTest {

  private static final long MS = 1_000_000L;
  private final CompactionSchedule schedule =
      new CompactionSchedule(Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(10));

  @Test
  void compaction_notDueYet_waitsUntilTheIntervalHasPassed() {
    assertEquals(Duration.ofMillis(700), schedule.wait(1300 * MS, 0, 1000 * MS));
  }

  @Test
  void compaction_dueAndTheJournalQuiet_runsNow() {
    assertEquals(Duration.ZERO, schedule.wait(2500 * MS, 2200 * MS, 1000 * MS));
  }

  @Test
  void compaction_dueWhileWritesGoOn_waitsForAQuietMoment() {
    assertEquals(Duration.ofMillis(150), schedule.wait(2500 * MS, 2450 * MS, 1000 * MS));
  }

  @Test
  void compaction_writesNeverPause_runsAtTheLatestMaxDelayAfterItFellDue() {
    assertEquals(Duration.ofMillis(100), schedule.wait(11_900 * MS, 11_900 * MS, 1000 * MS));
    assertEquals(Duration.ZERO, schedule.wait(12_000 * MS, 11_999 * MS, 1000 * MS));
  }
}
