package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.Journal;
import baton.coordinator.JournalOutage;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code baton coordinator} whose journal stays down past {@code baton.journal.max-down}: it exits with
 * {@link ExitCodes#JOURNAL_UNREACHABLE} and says why in one log line, so that systemd or Kubernetes restart it.
 */
final class CoordinatorJournalDownTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Map<String, String> SETTINGS = Map.of(
      "baton.journal.max-down", "2s",
      "baton.journal.probe-interval", "200ms",
      "baton.journal.restart-backoff.min", "100ms",
      "baton.journal.restart-backoff.max", "400ms");

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void restore() throws Exception {
    SETTINGS.keySet().forEach(System::clearProperty);
    Cli.restoreTestLogging();
  }

  @Test
  void coordinator_journalDownLongerThanMaxDown_exitsWithJournalCodeAndOneLogLine() throws Exception {
    SETTINGS.forEach(System::setProperty);
    Path data = dir.resolve("data");
    Path logs = dir.resolve("logs");
    int httpPort = freePort();
    CompletableFuture<Cli.Run> run = CompletableFuture.supplyAsync(() -> Cli.run("coordinator",
        "--port", Integer.toString(freePort()), "--http-port", Integer.toString(httpPort),
        "--data-dir", data.toString(), "--log-dir", logs.toString()));
    URI api = URI.create("http://127.0.0.1:" + httpPort);
    ActorTestKit probes = ActorTestKit.create("journal-down-probes");
    Cli.Run result;
    try {
      probes.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(100), () -> {
        assertTrue(!run.isDone(), () -> "the coordinator ended: " + run.join());
        assertEquals(200, get(api.resolve("/api/health")).statusCode());
        return null;
      });
      Config journal = Journal.withDatabase(ConfigFactory.parseMap(Map.of("baton.coordinator.data-dir",
          data.toAbsolutePath().normalize().toString())).withFallback(ConfigFactory.load()));
      // The outage stays on: once the coordinator ends, nothing uses the journal any more.
      JournalOutage.start(journal);
      http.sendAsync(HttpRequest.newBuilder(api.resolve("/api/jobs?name=tiny.conf"))
          .POST(HttpRequest.BodyPublishers.ofString("input.range { from = 1, to = 2 }\n"
              + "stages = [ { op = delay, millis = 0 } ]")).build(), HttpResponse.BodyHandlers.discarding());
      result = run.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      probes.shutdownTestKit();
    }

    assertEquals(ExitCodes.JOURNAL_UNREACHABLE, result.code(), result.toString());
    List<String> lines;
    try (Stream<Path> files = Files.list(logs)) {
      lines = files.filter(file -> file.toString().endsWith(".log"))
          .flatMap(file -> {
            try {
              return Files.readAllLines(file, StandardCharsets.UTF_8).stream();
            } catch (IOException e) {
              throw new IllegalStateException(e);
            }
          })
          .filter(line -> line.contains("the journal has been unreachable"))
          .toList();
    }
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).contains(JournalOutage.REASON), lines.get(0));
    assertTrue(lines.get(0).contains("exiting so a supervisor can restart the coordinator"), lines.get(0));
  }

  private HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
