package baton.app.cli;

import baton.app.tls.TlsFolder;
import baton.app.tls.TlsProblem;
import com.typesafe.config.ConfigException;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Option;

/**
 * The options every client command shares: where the coordinator's API is, the token it may want, and the folder
 * whose CA its HTTPS certificate comes from.
 */
final class ClientOptions {

  static final String DEFAULT_URL = "http://127.0.0.1:8551";

  @Option(names = "--coordinator", paramLabel = "URL",
      description = "The coordinator's API, HOST:PORT or a URL (default: $BATON_COORDINATOR, else " + DEFAULT_URL
          + ").")
  String url;

  @Option(names = "--token", paramLabel = "TOKEN",
      description = "The coordinator's API token (default: $BATON_TOKEN); needed when it listens beyond loopback.")
  String token;

  @Option(names = "--tls", paramLabel = "DIR",
      description = "A member's folder from `baton certs issue`: speak HTTPS to a coordinator started with --tls and "
          + "trust the cluster's CA (default: $BATON_TLS).")
  Path tls;

  CoordinatorClient client() {
    String chosen = url;
    if (chosen == null || chosen.isBlank()) {
      String fromEnv = System.getenv("BATON_COORDINATOR");
      chosen = fromEnv == null || fromEnv.isBlank() ? DEFAULT_URL : fromEnv;
    }
    Optional<SSLContext> https = Optional.empty();
    Optional<Path> tlsDir = TlsFolder.chosen(tls);
    if (tlsDir.isPresent()) {
      try {
        https = Optional.of(TlsFolder.client(tlsDir.get()).clientContext());
      } catch (TlsProblem e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
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
        bearer == null || bearer.isBlank() ? Optional.empty() : Optional.of(bearer.strip()), settings, https);
  }
}
