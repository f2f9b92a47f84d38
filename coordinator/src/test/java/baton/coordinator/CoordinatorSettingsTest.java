package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The retry backoff the README promises (baton.job.retry-backoff.min, doubling each try, up to max) and the
 * concurrency limit's default.
 */
final class CoordinatorSettingsTest {

  private final CoordinatorSettings settings = CoordinatorSettings.from(ConfigFactory.load());

  @Test
  void backoff_defaults_startAtMinAndDoubleUpToMax() {
    Duration min = settings.retryBackoffMin();
    Duration max = settings.retryBackoffMax();

    assertEquals(Duration.ofMillis(100), min);
    assertEquals(Duration.ofSeconds(5), max);
    assertEquals(min, settings.backoff(1));
    assertEquals(min.multipliedBy(2), settings.backoff(2));
    assertEquals(min.multipliedBy(4), settings.backoff(3));
    assertEquals(min.multipliedBy(32), settings.backoff(6));
    assertEquals(max, settings.backoff(7));
    assertEquals(max, settings.backoff(1000));
  }

  @Test
  void maxRunningJobs_default_fourPerCore() {
    assertEquals(4 * Runtime.getRuntime().availableProcessors(), settings.maxRunningJobs());
  }

  @Test
  void maxRunningJobs_set_thatMany() {
    assertEquals(3, CoordinatorSettings.from(ConfigFactory.parseString("baton.coordinator.max-running-jobs = 3")
        .withFallback(ConfigFactory.load())).maxRunningJobs());
  }

  @Test
  void maxRunningJobs_negative_refusedNamingTheSetting() {
    ConfigException e = assertThrows(ConfigException.class, () -> CoordinatorSettings.from(ConfigFactory
        .parseString("baton.coordinator.max-running-jobs = -1").withFallback(ConfigFactory.load())));

    assertEquals("Invalid value at 'baton.coordinator.max-running-jobs': must be 0 (four per core) or more, got -1",
        e.getMessage());
  }
}
