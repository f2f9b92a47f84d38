package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The retry backoff the README promises: baton.job.retry-backoff.min, doubling each try, up to max. */
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
}
