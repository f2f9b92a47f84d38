package baton.app.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import baton.coordinator.http.ApiServer;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A coordinator's API in this JVM for each test, logging under the test's folder, with
 * {@code @RegisterExtension final TestApi api = new TestApi(() -> dir);} (the supplier is read once the
 * {@code @TempDir} is set). Skips the test when {@code BATON_TOKEN} is set, as the commands would send it.
 */
final class TestApi implements BeforeEachCallback, AfterEachCallback {

  private final Supplier<Path> dir;
  private ApiServer server;

  TestApi(Supplier<Path> dir) {
    this.dir = dir;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    assumeTrue(System.getenv("BATON_TOKEN") == null, "BATON_TOKEN is set in this environment");
    server = new ApiServer(Map.of(), dir.get().resolve("logs"));
  }

  /** Stops this test's API and starts another with {@code settings}, on a new port: read {@link #url()} again. */
  void restart(Map<String, Object> settings) {
    server.close();
    server = new ApiServer(settings, dir.get().resolve("logs"));
  }

  String url() {
    return server.base.toString();
  }

  int port() {
    return server.base.getPort();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (server != null) {
      server.close();
      server = null;
    }
  }
}
