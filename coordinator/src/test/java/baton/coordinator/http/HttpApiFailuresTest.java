package baton.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import baton.coordinator.ItemCounts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /api/jobs/{id}/failures} and {@code POST /api/jobs/{id}/rerun} over a real coordinator. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
final class HttpApiFailuresTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  static Path dir;

  private ApiServer api;

  @BeforeAll
  void start() {
    assumeTrue(System.getenv("BATON_TOKEN") == null, "BATON_TOKEN is set in this environment");
    api = new ApiServer(Map.of(), dir.resolve("logs"));
  }

  @AfterAll
  void stop() {
    if (api != null) {
      api.close();
    }
  }

  @Test
  void failures_jobWithFailedItems_pagesWithTotalInTheOrderTheyFailed() throws Exception {
    // No file named 1..5 exists: each item fails in read-file, one at a time so the order is the input's.
    String id = submitAndWait("input.range { from = 1, to = 5 }\n"
        + "stages = [ { op = read-file, parallelism = 1 } ]\nretries = 0\nmax-failed-items = 10\n");

    JsonNode first = ok(api.get("/api/jobs/" + id + "/failures?offset=0&limit=2"));
    JsonNode rest = ok(api.get("/api/jobs/" + id + "/failures?offset=2&limit=100"));
    JsonNode all = ok(api.get("/api/jobs/" + id + "/failures"));
    JsonNode beyond = ok(api.get("/api/jobs/" + id + "/failures?offset=10&limit=5"));

    assertEquals(5, first.get("total").asLong());
    assertEquals(0, first.get("offset").asLong());
    assertEquals(2, first.get("items").size());
    JsonNode item = first.get("items").get(0);
    assertEquals(List.of("key", "stage", "op", "attempts", "reason"), fieldNames(item));
    assertEquals("1", item.get("key").asText());
    assertEquals(1, item.get("stage").asInt());
    assertEquals("read-file", item.get("op").asText());
    assertEquals(1, item.get("attempts").asInt());
    assertTrue(item.get("reason").asText().contains("1"), item.toString());
    assertEquals(List.of("3", "4", "5"), keys(rest));
    assertEquals(2, rest.get("offset").asLong());
    assertEquals(List.of("1", "2", "3", "4", "5"), keys(all));
    assertEquals(5, beyond.get("total").asLong());
    assertEquals(0, beyond.get("items").size());
  }

  @Test
  void failures_jobWithoutFailures_emptyPage() throws Exception {
    String id = submitAndWait("input.range { from = 1, to = 3 }\nstages = [ { op = delay, millis = 1 } ]\n");

    JsonNode page = ok(api.get("/api/jobs/" + id + "/failures?offset=0&limit=100"));

    assertEquals(0, page.get("total").asLong());
    assertEquals(0, page.get("items").size());
  }

  @Test
  void failures_unknownJobOrBadPaging_404Or400WithOneMessage() throws Exception {
    String id = submitAndWait("input.range { from = 1, to = 1 }\nstages = [ { op = delay, millis = 1 } ]\n");

    assertError(404, "no job nosuch-000000", api.get("/api/jobs/nosuch-000000/failures"));
    assertError(404, "no job NOT_AN_ID", api.get("/api/jobs/NOT_AN_ID/failures"));
    String paging = "offset must be a whole number from 0 and limit one from 1 to 1000";
    for (String query : List.of("offset=-1", "offset=x", "limit=0", "limit=1001", "limit=", "offset=1e3")) {
      assertError(400, paging + ", got " + query.replace("=", " = "),
          api.get("/api/jobs/" + id + "/failures?" + query));
    }
  }

  @Test
  void rerun_failedOnly_201NewJobOverTheFailedItemsLinkedToTheFirst() throws Exception {
    String id = submitAndWait("input.range { from = 1, to = 4 }\n"
        + "stages = [ { op = read-file } ]\nretries = 0\nmax-failed-items = 10\n");

    HttpResponse<String> response = post("/api/jobs/" + id + "/rerun?failedOnly=true");

    assertEquals(201, response.statusCode(), response.body());
    JsonNode accepted = JSON.readTree(response.body());
    assertEquals(id, accepted.get("rerunOf").asText());
    JsonNode done = awaitEnd(accepted.get("id").asText());
    assertEquals(4, done.get("items").get("total").asLong(), done.toString());
    assertEquals(4, done.get("items").get("failed").asLong(), done.toString());
    assertEquals(id, done.get("rerunOf").asText());
    ItemCounts.assertAddUp(done);
    assertEquals(List.of("1", "2", "3", "4"), keys(ok(api.get("/api/jobs/" + done.get("id").asText()
        + "/failures"))).stream().sorted().toList());
  }

  @Test
  void rerun_unknownRunningNoFailuresOrBadFlag_404Or409Or400() throws Exception {
    String clean = submitAndWait("input.range { from = 1, to = 2 }\nstages = [ { op = delay, millis = 1 } ]\n");
    HttpResponse<String> slow = api.submit("input.range { from = 1, to = 2 }\n"
        + "stages = [ { op = delay, millis = 600000 } ]\n", dir);
    String running = JSON.readTree(slow.body()).get("id").asText();

    assertError(404, "no job nosuch-000000", post("/api/jobs/nosuch-000000/rerun?failedOnly=true"));
    assertError(409, "job " + running + " is RUNNING: rerun it once it has ended",
        post("/api/jobs/" + running + "/rerun"));
    assertError(409, "job " + clean + " has no failed items to rerun",
        post("/api/jobs/" + clean + "/rerun?failedOnly=true"));
    assertError(400, "failedOnly must be true or false, got maybe",
        post("/api/jobs/" + clean + "/rerun?failedOnly=maybe"));
    api.send(api.request("/api/jobs/" + running + "/cancel").POST(HttpRequest.BodyPublishers.noBody()));
  }

  private String submitAndWait(String spec) throws Exception {
    HttpResponse<String> response = api.submit(spec, dir);
    assertEquals(201, response.statusCode(), response.body());
    String id = JSON.readTree(response.body()).get("id").asText();
    awaitEnd(id);
    return id;
  }

  private JsonNode awaitEnd(String id) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      JsonNode status = JSON.readTree(api.get("/api/jobs/" + id).body());
      if (!status.path("finishedAt").isNull() && !status.path("finishedAt").isMissingNode()) {
        return status;
      }
      assertTrue(System.nanoTime() < deadline, "job did not end: " + status);
      TimeUnit.MILLISECONDS.sleep(20); // polling interval of an await with a deadline
    }
  }

  private HttpResponse<String> post(String path) throws Exception {
    return api.send(api.request(path).POST(HttpRequest.BodyPublishers.noBody()));
  }

  private static JsonNode ok(HttpResponse<String> response) throws Exception {
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }

  private static void assertError(int status, String message, HttpResponse<String> response) throws Exception {
    assertEquals(status, response.statusCode(), response.body());
    assertEquals(message, JSON.readTree(response.body()).get("error").asText());
  }

  private static List<String> keys(JsonNode page) {
    List<String> keys = new ArrayList<>();
    page.get("items").forEach(item -> keys.add(item.get("key").asText()));
    return keys;
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
