package baton.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.Coordinator;
import baton.coordinator.CoordinatorSettings;
import baton.coordinator.Journal;
import baton.coordinator.WorkDispatcher;
import baton.coordinator.spec.JobSpecParser;
import baton.protocol.op.OpRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API's routes over a real coordinator actor, bound on a free loopback port, called with a JDK client. */
// One instance per class: TestKitJUnit5Extension shuts down only the last instance's test kit.
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
final class HttpApiTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SLOW_SPEC = "input.range { from = 1, to = 4 }\n"
      + "stages = [ { op = delay, millis = 600000 } ]\n";

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(Journal.withDatabase(ConfigFactory.load())).build();

  @TempDir
  static Path logDir;

  private final HttpClient client = HttpClient.newHttpClient();
  private String base;

  @BeforeAll
  void bind() throws Exception {
    CoordinatorSettings settings = CoordinatorSettings.from(testKit.system().settings().config());
    OpRegistry registry = OpRegistry.load(getClass().getClassLoader(), testKit.system().settings().config());
    ActorRef<WorkDispatcher.Command> dispatcher = testKit.spawn(WorkDispatcher.create());
    ActorRef<Coordinator.Command> coordinator = testKit.spawn(Coordinator.create(settings,
        new JobSpecParser(registry, settings.job()), dispatcher));
    HttpApi api = new HttpApi(testKit.system(), coordinator, dispatcher, logDir, 1024);
    ServerBinding binding = Http.get(testKit.system()).newServerAt("127.0.0.1", 0).bind(api.routes())
        .toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    base = "http://127.0.0.1:" + binding.localAddress().getPort();
  }

  @Test
  void health_accepting_200Ok() throws Exception {
    HttpResponse<String> response = get("/api/health");

    assertEquals(200, response.statusCode());
    assertJson(response);
    JsonNode body = JSON.readTree(response.body());
    assertEquals("ok", body.get("status").asText());
    assertTrue(body.get("accepting").asBoolean());
  }

  @Test
  void submitJob_validSpec_201WithStatusThenSucceeded() throws Exception {
    HttpResponse<String> response = post("/api/jobs?name=quick.conf",
        "input.range { from = 1, to = 9 }\nstages = [ { op = delay, millis = 1 } ]\n");

    assertEquals(201, response.statusCode(), response.body());
    assertJson(response);
    JsonNode accepted = JSON.readTree(response.body());
    String id = accepted.get("id").asText();
    assertTrue(id.matches("quick-[0-9a-f]{6}"), id);
    assertEquals("ACCEPTED", accepted.get("state").asText());
    assertEquals(9, accepted.get("items").get("total").asLong());
    JsonNode done = testKit.createTestProbe().awaitAssert(WAIT, () -> {
      JsonNode status = JSON.readTree(get("/api/jobs/" + id).body());
      assertEquals("SUCCEEDED", status.get("state").asText(), status.toString());
      return status;
    });
    assertEquals(9, done.get("items").get("succeeded").asLong());
    JsonNode list = JSON.readTree(get("/api/jobs").body());
    assertTrue(list.isArray());
    assertTrue(list.findValuesAsText("id").contains(id), list.toString());
  }

  @Test
  void submitJob_badHocon_400JsonError() throws Exception {
    HttpResponse<String> response = post("/api/jobs?name=bad.conf", "stages = [ { op = ");

    assertEquals(400, response.statusCode());
    assertJson(response);
    assertTrue(JSON.readTree(response.body()).get("error").asText().startsWith("bad.conf:1: "), response.body());
  }

  @Test
  void submitJob_unknownOp_400NamingTheKnownOps() throws Exception {
    HttpResponse<String> response = post("/api/jobs", "input.range { from = 1, to = 3 }\n"
        + "stages = [ { op = nope } ]\n");

    assertEquals(400, response.statusCode());
    assertTrue(JSON.readTree(response.body()).get("error").asText()
        .startsWith("spec.conf:2: stage 1: unknown op nope; known ops: delay,"), response.body());
  }

  @Test
  void submitJob_specOverTheSizeLimit_413JsonError() throws Exception {
    HttpResponse<String> response = post("/api/jobs", SLOW_SPEC + "#".repeat(2000) + "\n");

    assertEquals(413, response.statusCode(), response.body());
    assertJson(response);
    assertTrue(JSON.readTree(response.body()).has("error"), response.body());
  }

  @Test
  void status_unknownId_404JsonError() throws Exception {
    HttpResponse<String> response = get("/api/jobs/no-such-job");

    assertEquals(404, response.statusCode());
    assertJson(response);
    assertEquals("no job no-such-job", JSON.readTree(response.body()).get("error").asText());
  }

  @Test
  void cancel_runningJob_200Cancelled() throws Exception {
    String id = JSON.readTree(post("/api/jobs", SLOW_SPEC).body()).get("id").asText();

    HttpResponse<String> response = post("/api/jobs/" + id + "/cancel", "");

    assertEquals(200, response.statusCode(), response.body());
    JsonNode cancelled = JSON.readTree(response.body());
    assertEquals("CANCELLED", cancelled.get("state").asText());
    assertEquals("cancelled by request", cancelled.get("error").asText());
  }

  @Test
  void cancel_unknownId_404JsonError() throws Exception {
    HttpResponse<String> response = post("/api/jobs/no-such-job/cancel", "");

    assertEquals(404, response.statusCode());
    assertEquals("no job no-such-job", JSON.readTree(response.body()).get("error").asText());
  }

  @Test
  void log_existingFileFromOffset_200ChunkWithNextOffset() throws Exception {
    Files.createDirectories(logDir.resolve("jobs"));
    Files.writeString(logDir.resolve("jobs/some-job-abc123.log"), "first line\nsecond line\n");

    HttpResponse<String> response = get("/api/jobs/some-job-abc123/log?offset=11");

    assertEquals(200, response.statusCode(), response.body());
    assertEquals(JSON.readTree("{\"id\":\"some-job-abc123\",\"offset\":11,\"next\":23,\"text\":\"second line\\n\"}"),
        JSON.readTree(response.body()));
  }

  @Test
  void log_badOffsetOrNoFile_400Or404() throws Exception {
    assertEquals(400, get("/api/jobs/some-job/log?offset=x").statusCode());
    assertEquals(404, get("/api/jobs/no-log-here/log").statusCode());
    assertEquals(404, get("/api/jobs/..%2F..%2Fetc/log").statusCode());
  }

  @Test
  void unknownPathOrMethod_jsonErrors() throws Exception {
    HttpResponse<String> notFound = get("/api/nothing-here");
    HttpResponse<String> wrongMethod = client.send(HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
        .DELETE().build(), HttpResponse.BodyHandlers.ofString());

    assertEquals(404, notFound.statusCode());
    assertJson(notFound);
    assertTrue(JSON.readTree(notFound.body()).has("error"), notFound.body());
    assertEquals(405, wrongMethod.statusCode());
    assertJson(wrongMethod);
    assertTrue(JSON.readTree(wrongMethod.body()).has("error"), wrongMethod.body());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertJson(HttpResponse<String> response) {
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""),
        response.toString());
  }
}
