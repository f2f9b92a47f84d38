package baton.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.CoordinatorSettings;
import baton.coordinator.Journal;
import baton.coordinator.JournalOutage;
import baton.protocol.op.OpRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator whose journal fails for a while: its persistent actors restart, it keeps its jobs, and health says
 * 503 with the reason until the journal works again.
 */
@ExtendWith(LogCapturingExtension.class)
final class JournalOutageTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private ActorTestKit testKit;
  private URI api;

  @AfterEach
  void stop() {
    if (testKit != null) {
      testKit.shutdownTestKit();
    }
  }

  @Test
  void coordinator_journalWritesFailForAWhile_restartsKeepsItsJobsAndHealthIs503WithTheReasonMeanwhile()
      throws Exception {
    Config config = start("max-down = 10m");
    String before = submit("name = before\ninput.range { from = 1, to = 5 }\nstages = [ { op = delay, millis = 0 } ]");
    awaitState(before, "SUCCEEDED");
    // A job running through the outage: its checkpoints fail, it restarts, and it still ends with every item once.
    String through = submit("name = through\ninput.range { from = 1, to = 100 }\n"
        + "stages = [ { op = delay, millis = 50, parallelism = 2 } ]");
    awaitState(through, "RUNNING");
    assertEquals(200, get("/api/health").statusCode());

    try (JournalOutage outage = JournalOutage.start(config)) {
      // The coordinator's own write fails too: a submit now cannot be recorded.
      CompletableFuture<HttpResponse<String>> during = postAsync("name = during\ninput.range { from = 1, to = 2 }\n"
          + "stages = [ { op = delay, millis = 0 } ]");
      testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(20), () -> {
        assertTrue(outage.refused("baton-coordinator") && outage.refused("baton-job|" + through));
        return null;
      });
      HttpResponse<String> down = testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(100), () -> {
        HttpResponse<String> health = get("/api/health");
        assertEquals(503, health.statusCode(), health.body());
        return health;
      });
      String error = JSON.readTree(down.body()).path("error").asText();
      assertTrue(error.contains(JournalOutage.REASON), down.body());
      during.cancel(true);
    }

    testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(100), () -> {
      HttpResponse<String> health = get("/api/health");
      assertEquals(200, health.statusCode(), health.body());
      return null;
    });
    assertEquals("SUCCEEDED", job(before).path("state").asText());
    JsonNode done = awaitState(through, "SUCCEEDED");
    JsonNode items = done.path("items");
    assertEquals(100, items.path("total").asLong(), done.toString());
    assertEquals(100, items.path("succeeded").asLong(), done.toString());
    assertEquals(0, items.path("failed").asLong() + items.path("filtered").asLong(), done.toString());
    String after = submit("name = after\ninput.range { from = 1, to = 3 }\nstages = [ { op = delay, millis = 0 } ]");
    assertEquals(3, awaitState(after, "SUCCEEDED").path("items").path("succeeded").asLong());
  }

  /** Starts a coordinator service with quick journal restarts on an in-memory journal; returns its config. */
  private Config start(String journalSettings) throws Exception {
    Config config = Journal.withDatabase(ConfigFactory.parseString(
        "baton.journal { restart-backoff { min = 100ms, max = 400ms }, probe-interval = 200ms, " + journalSettings
            + " }\nbaton.coordinator.checkpoint-interval = 20ms")
        .withFallback(ConfigFactory.load()).resolve());
    testKit = ActorTestKit.create("journal-outage", config);
    CompletableFuture<ServerBinding> bound = new CompletableFuture<>();
    CoordinatorSettings settings = CoordinatorSettings.from(config);
    testKit.spawn(CoordinatorService.create(settings, OpRegistry.load(getClass().getClassLoader(), config),
        Optional.empty(), new CoordinatorService.HttpSettings("127.0.0.1", 0, 64 * 1024, dir.resolve("logs")),
        bound), "service");
    api = URI.create("http://127.0.0.1:" + bound.get(20, TimeUnit.SECONDS).localAddress().getPort());
    return config;
  }

  private String submit(String spec) throws Exception {
    HttpResponse<String> response = postAsync(spec).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(201, response.statusCode(), response.body());
    return JSON.readTree(response.body()).path("id").asText();
  }

  private CompletableFuture<HttpResponse<String>> postAsync(String spec) {
    return http.sendAsync(HttpRequest.newBuilder(api.resolve("/api/jobs?name=spec.conf&dir="
            + URLEncoder.encode(dir.toString(), StandardCharsets.UTF_8)))
        .timeout(WAIT).POST(HttpRequest.BodyPublishers.ofString(spec)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private JsonNode awaitState(String id, String state) {
    return testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      JsonNode job = job(id);
      assertEquals(state, job.path("state").asText(), job.toString());
      return job;
    });
  }

  private JsonNode job(String id) throws IOException, InterruptedException {
    HttpResponse<String> response = get("/api/jobs/" + id);
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(api.resolve(path)).timeout(WAIT).GET().build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }
}
