package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A job's pace and bottleneck from samples at times the test chooses. */
final class PaceTest {

  private static final long SECOND = 1_000_000_000L;
  private static final StatusSettings SETTINGS = new StatusSettings(Duration.ofSeconds(5), Duration.ofMillis(250),
      0.8);

  @Test
  void perSecond_fastThenSlow_isThePaceOfTheLastWindowNotOfTheWholeRun() {
    Pace pace = new Pace(SETTINGS, 1, 0, 0);
    long items = 0;
    for (long quarter = 1; quarter <= 80; quarter++) {
      items += quarter <= 40 ? 250 : 1;
      pace.finished(quarter * SECOND / 4, items);
    }

    assertEquals(4.0, pace.perSecond(20 * SECOND, items), 1e-9);
  }

  @Test
  void perSecond_youngerThanOneSampleInterval_isNull() {
    Pace pace = new Pace(SETTINGS, 1, 0, 100);

    assertNull(pace.perSecond(SECOND / 10, 150));
    assertEquals(200.0, pace.perSecond(SECOND / 2, 200), 1e-9);
  }

  @Test
  void bottleneck_stageSaturatedMostOfTheWindow_isNamedAndAHalfBusyStageIsNot() {
    Pace pace = new Pace(SETTINGS, 2, 0, 0);
    for (long quarter = 1; quarter <= 20; quarter++) {
      pace.load(quarter * SECOND / 4, 1, 3, 0.5);
      pace.load(quarter * SECOND / 4, 2, 64, 0.95);
    }

    assertEquals(2, pace.bottleneck(5 * SECOND));
    assertEquals(64, pace.inFlight(2));
    assertEquals(0, pace.bottleneck(60 * SECOND), "stages that stopped reporting are no bottleneck");
  }

  @Test
  void bottleneck_fewerSamplesThanAFifthOfTheWindow_none() {
    Pace pace = new Pace(SETTINGS, 1, 0, 0);
    pace.load(SECOND / 4, 1, 2, 1.0);
    pace.load(SECOND / 2, 1, 2, 1.0);

    assertEquals(0, pace.bottleneck(SECOND / 2));
  }
}
