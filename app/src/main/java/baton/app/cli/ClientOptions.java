package baton.app.cli;

import com.typesafe.config.ConfigException;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The options every client command shares: where the coordinator's API is, and the token it may want. */
final class ClientOptions {

  static final String DEFAULT_URL = "http://127.0.0.1:8551";

  @Option(names = "--coordinator", paramLabel = "URL",
      description = "The coordinator's API, HOST:PORT or a URL (default: $BATON_COORDINATOR, else " + DEFAULT_URL
          + ").")
  String url;

  @Option(names = "--token", paramLabel = "TOKEN",
      description = "The coordinator's API token (default: $BATON_TOKEN); needed when it listens beyond loopback.")
  String token;

  CoordinatorClient client() {
    String chosen = url;
    if (chosen == null || chosen.isBlank()) {
      String fromEnv = System.getenv("BATON_COORDINATOR");
      chosen = fromEnv == null || fromEnv.isBlank() ? DEFAULT_URL : fromEnv;
    }
    String bearer = token;
    if (bearer == null || bearer.isBlank()) {
      bearer = System.getenv("BATON_TOKEN");
    }
    CoordinatorClient.Settings settings;
    try {
      settings = CoordinatorClient.Settings.load(ClientOptions.class.getClassLoader());
    } catch (ConfigException e) {
      throw new IllegalArgumentException("bad configuration: " + e.getMessage(), e);
    }
    return new CoordinatorClient(chosen,
        bearer == null || bearer.isBlank() ? Optional.empty() : Optional.of(bearer.strip()), settings);
  }
}
