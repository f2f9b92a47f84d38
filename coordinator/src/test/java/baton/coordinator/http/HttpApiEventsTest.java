package baton.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.ItemCounts;
import baton.coordinator.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** GET /api/events: the job events a running job sends, read as Server-Sent Events by a plain HTTP client. */
@ExtendWith(LogCapturingExtension.class)
final class HttpApiEventsTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  static Path dir;

  private static ApiServer api;

  @BeforeAll
  static void start() {
    api = new ApiServer(Map.of(), dir);
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  /** One event of the stream: its type and its data. */
  private record Event(String type, String data) {
  }

  @Test
  void events_jobRunsToItsEnd_streamDeliversItsStatusesUpToSucceeded() throws Exception {
    HttpResponse<Stream<String>> stream = api.http.send(api.request("/api/events").GET().build(),
        HttpResponse.BodyHandlers.ofLines());
    assertEquals(200, stream.statusCode());
    assertTrue(stream.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"),
        stream.headers().toString());
    Iterator<String> lines = stream.body().iterator();

    // About a second: twenty items of 100 ms, two at a time.
    HttpResponse<String> submitted = api.submit("name = watched\ninput.range { from = 1, to = 20 }\n"
        + "stages = [ { op = delay, millis = 100, parallelism = 2 } ]\n", dir);
    assertEquals(201, submitted.statusCode(), submitted.body());
    String id = Json.mapper().readTree(submitted.body()).get("id").asText();

    // Read on another thread, so that a stream that never ends fails the test at the deadline.
    List<JsonNode> statuses = CompletableFuture.supplyAsync(() -> {
      List<JsonNode> seen = new ArrayList<>();
      Event event;
      while ((event = next(lines)) != null) {
        if (event.type().equals("job")) {
          JsonNode status = read(event.data());
          if (status.get("id").asText().equals(id)) {
            seen.add(status);
            if (status.get("state").asText().equals("SUCCEEDED")) {
              return seen;
            }
          }
        }
      }
      throw new AssertionError("the stream ended before the job did: " + seen);
    }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    stream.body().close();

    List<String> states = statuses.stream().map(status -> status.get("state").asText()).toList();
    assertTrue(states.contains("RUNNING"), "a running job's event came: " + states);
    assertEquals(states.indexOf("SUCCEEDED"), states.size() - 1, states.toString());
    JsonNode last = statuses.get(statuses.size() - 1);
    assertEquals(20, last.get("items").get("succeeded").asLong(), last.toString());
    // While it runs, its counts go out as they grow, but at most once per job-interval (300 ms), not per item.
    long running = states.stream().filter("RUNNING"::equals).count();
    assertTrue(running >= 2, "the counts of a running job came more than once: " + states);
    assertTrue(running <= last.get("durationMillis").asLong() / 300 + 2, "one per 300 ms at most: " + states);
    ItemCounts.assertAddUp(last);
    // Counts only grow from one event to the next.
    long before = -1;
    for (JsonNode status : statuses) {
      long done = status.get("items").get("succeeded").asLong();
      assertTrue(done >= before, "counts went back: " + statuses);
      before = done;
    }
  }

  /** The next event of the stream, or null at its end; keep-alives (comments, empty data) are skipped. */
  private static Event next(Iterator<String> lines) {
    String type = "message";
    StringBuilder data = new StringBuilder();
    while (lines.hasNext()) {
      String line = lines.next();
      if (line.isEmpty()) {
        if (data.length() > 0) {
          return new Event(type, data.toString());
        }
        type = "message";
      } else if (line.startsWith("event:")) {
        type = line.substring(6).strip();
      } else if (line.startsWith("data:")) {
        data.append(line.substring(5).strip());
      }
    }
    return null;
  }

  private static JsonNode read(String json) {
    try {
      return Json.mapper().readTree(json);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + json, e);
    }
  }
}
