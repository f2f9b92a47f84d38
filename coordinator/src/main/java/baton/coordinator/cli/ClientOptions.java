package baton.coordinator.cli;

import picocli.CommandLine.Option;

/** The option every client command shares: where the coordinator's API is. */
final class ClientOptions {

  static final String DEFAULT_URL = "http://127.0.0.1:8551";

  @Option(names = "--coordinator", paramLabel = "URL",
      description = "The coordinator's API (default: $BATON_COORDINATOR, else " + DEFAULT_URL + ").")
  String url;

  CoordinatorClient client() {
    String chosen = url;
    if (chosen == null || chosen.isBlank()) {
      String fromEnv = System.getenv("BATON_COORDINATOR");
      chosen = fromEnv == null || fromEnv.isBlank() ? DEFAULT_URL : fromEnv;
    }
    return new CoordinatorClient(chosen);
  }
}
