package baton.coordinator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * Loads Baton's config in layers, each overriding the next: system properties; the installation's file
 * ({@code -Dconfig.file}, which {@code bin/baton} points at {@code conf/baton.conf}); the Pekko settings Baton changes
 * ({@code baton/pekko.conf}); every module's {@code reference.conf}. The Pekko settings are a layer of their own
 * because the shaded jar appends all {@code reference.conf} files into one, where Pekko's own defaults come last.
 */
public final class BatonConfig {

  private BatonConfig() {
  }

  public static Config load(ClassLoader loader) {
    ConfigFactory.invalidateCaches();
    Config config = ConfigFactory.defaultOverrides(loader)
        .withFallback(ConfigFactory.defaultApplication(loader))
        .withFallback(ConfigFactory.parseResources(loader, "baton/pekko.conf"))
        .withFallback(ConfigFactory.defaultReference(loader))
        .resolve();
    // A bad entry is a bad configuration at start-up, not a failure of the first job's first http-get.
    HttpAllowList.from(config);
    return config;
  }
}
