package baton.coordinator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * How {@code status} measures a running job ({@code baton.coordinator.status}): its pace and bottleneck are over
 * the last {@code window}; each stage reports its load every {@code sampleInterval}; a stage is the bottleneck when
 * it was saturated for at least {@code bottleneckShare} of the window.
 */
public record StatusSettings(Duration window, Duration sampleInterval, double bottleneckShare) implements Extension {

  private static final ExtensionId<StatusSettings> ID = new ExtensionId<>() {
    @Override
    public StatusSettings createExtension(ActorSystem<?> system) {
      return from(system.settings().config());
    }
  };

  /** The system's settings, read once: every job and its stream needs them, and config look-ups are not cheap. */
  public static StatusSettings of(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public static StatusSettings from(Config config) {
    Config status = config.getConfig("baton.coordinator.status");
    double share = status.getDouble("bottleneck-share");
    if (share <= 0 || share > 1) {
      throw new ConfigException.BadValue("baton.coordinator.status.bottleneck-share",
          "must be more than 0 and at most 1, got " + share);
    }
    return new StatusSettings(status.getDuration("window"), status.getDuration("sample-interval"), share);
  }
}
