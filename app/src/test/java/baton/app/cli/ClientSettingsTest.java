package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.typesafe.config.Config;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a client command reads of the config: its own keys, not every module's defaults. */
final class ClientSettingsTest {

  private static final String REQUEST_TIMEOUT = "baton.client.request-timeout";

  @AfterEach
  void clearOverride() {
    System.clearProperty(REQUEST_TIMEOUT);
  }

  @Test
  void read_clientCommand_hasItsDefaultsAndNoPekkoSettings() {
    Config config = CoordinatorClient.Settings.read(ClientSettingsTest.class.getClassLoader());

    assertEquals(Duration.ofSeconds(5), config.getDuration("baton.client.connect-timeout"));
    assertFalse(config.hasPath("pekko"), "a client command parsed Pekko's reference.conf");
    assertFalse(config.hasPath("baton.coordinator"), "a client command parsed the coordinator's defaults");
  }

  @Test
  void load_systemProperty_overridesTheDefault() {
    System.setProperty(REQUEST_TIMEOUT, "7s");

    CoordinatorClient.Settings settings = CoordinatorClient.Settings.load(ClientSettingsTest.class.getClassLoader());

    assertEquals(Duration.ofSeconds(7), settings.requestTimeout());
    assertEquals(Duration.ofSeconds(5), settings.connectTimeout());
  }
}
