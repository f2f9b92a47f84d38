package baton.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.CoordinatorSettings;
import baton.coordinator.Journal;
import baton.coordinator.http.PrometheusText;
import baton.node.NodeSettings;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * GET /metrics of a coordinator service with two in-process workers, scraped while a job runs and another waits
 * in the queue, and after they ended: the counts in the Prometheus text agree with the jobs' status.
 */
@ExtendWith(LogCapturingExtension.class)
final class CoordinatorMetricsTest {

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
  void metrics_duringAndAfterJobs_countsAgreeWithTheJobsStatusAndNoLabelNamesAJob() throws Exception {
    start();
    // One job at a time (max-running-jobs = 1): the slow one runs while the last one waits in the queue.
    String ok = submit("name = ok\ninput.range { from = 1, to = 30 }\n"
        + "stages = [ { op = sha256 }, { op = delay, millis = 1 } ]");
    awaitState(ok, "SUCCEEDED");
    String failing = submit("name = failing\ninput.range { from = 1, to = 7 }\nretries = 0\nmax-failed-items = 100\n"
        + "stages = [ { op = sha256 }, { op = gunzip } ]");
    awaitState(failing, "SUCCEEDED");
    String slow = submit("name = slow\ninput.range { from = 1, to = 4 }\n"
        + "stages = [ { op = delay, millis = 600000 } ]");
    awaitState(slow, "RUNNING");
    String queued = submit("name = queued\ninput.range { from = 1, to = 4 }\nstages = [ { op = sha256 } ]");
    awaitState(queued, "QUEUED");
    List<String> ids = List.of(ok, failing, slow, queued);

    PrometheusText during = scrape();
    assertEquals(1, during.value("baton_jobs", Map.of("state", "RUNNING")));
    assertEquals(1, during.value("baton_jobs", Map.of("state", "QUEUED")));
    assertEquals(2, during.value("baton_jobs", Map.of("state", "SUCCEEDED")));
    assertEquals(0, during.value("baton_jobs", Map.of("state", "CANCELLED")));
    assertEquals(4, during.value("baton_jobs_submitted_total", Map.of()));
    assertEquals(2, during.value("baton_jobs_ended_total", Map.of("state", "SUCCEEDED")));
    List<PrometheusText.Sample> workers = during.named("baton_node_workers");
    assertEquals(1, workers.size(), workers.toString());
    assertEquals(2, workers.get(0).value());
    String node = workers.get(0).labels().get("node");
    assertTrue(during.value("baton_node_busy_workers", Map.of("node", node)) <= 2);
    assertTrue(during.value("baton_dispatcher_credits", Map.of("node", node)) >= 0);
    assertEquals(0, during.value("baton_dispatcher_queued_batches", Map.of()));
    assertItemsAgree(during, List.of(status(ok), status(failing), status(slow)));
    // The slow job's calls are still out: only the first job's calls are timed.
    assertEquals(30, during.value("baton_stage_call_seconds_count", Map.of("op", "delay")));
    assertNoJobIdIn(during, ids);

    cancel(queued);
    cancel(slow);
    awaitState(slow, "CANCELLED");
    // The status says CANCELLED from the moment the job stops; the job counts as RUNNING until its end is written.
    PrometheusText after = testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      PrometheusText scraped = scrape();
      assertEquals(0, scraped.value("baton_jobs", Map.of("state", "RUNNING")));
      return scraped;
    });
    assertEquals(0, after.value("baton_jobs", Map.of("state", "QUEUED")));
    assertEquals(2, after.value("baton_jobs", Map.of("state", "CANCELLED")));
    assertEquals(2, after.value("baton_jobs", Map.of("state", "SUCCEEDED")));
    assertEquals(4, after.value("baton_jobs_submitted_total", Map.of()));
    assertEquals(2, after.value("baton_jobs_ended_total", Map.of("state", "CANCELLED")));
    assertEquals(2, after.value("baton_jobs_ended_total", Map.of("state", "SUCCEEDED")));
    List<JsonNode> statuses = ids.stream().map(this::status).toList();
    assertItemsAgree(after, statuses);
    // Every item in one bucket, as the status says: the counters count the ones a stage finished or failed.
    for (JsonNode status : statuses) {
      JsonNode items = status.path("items");
      assertEquals(items.path("total").asLong(), items.path("succeeded").asLong() + items.path("failed").asLong()
          + items.path("filtered").asLong() + items.path("notRun").asLong(), status.toString());
    }
    assertEquals(7, after.value("baton_items_failed_total", Map.of("op", "gunzip", "kind", "cpu")));
    assertEquals(37, after.value("baton_items_done_total", Map.of("op", "sha256", "kind", "cpu")));

    // Histograms: a cpu stage per batch, an io stage per call, the journal per write.
    assertEquals("histogram", after.type("baton_stage_batch_seconds"));
    assertTrue(after.value("baton_stage_batch_seconds_count", Map.of("op", "sha256")) >= 2);
    assertEquals(after.value("baton_stage_call_seconds_count", Map.of("op", "delay")),
        after.value("baton_stage_call_seconds_bucket", Map.of("op", "delay", "le", "+Inf")));
    assertTrue(after.value("baton_journal_write_seconds_count", Map.of("writer", "coordinator")) >= 1);
    assertTrue(after.value("baton_journal_write_seconds_count", Map.of("writer", "job")) >= 1);
    // The JVM's own.
    assertFalse(after.named("jvm_memory_used_bytes").isEmpty());
    assertFalse(after.named("jvm_threads_live_threads").isEmpty());
    assertFalse(after.named("jvm_gc_pause_seconds_count").isEmpty() && after.named("jvm_gc_memory_allocated_bytes_total")
        .isEmpty());
    assertFalse(after.named("process_uptime_seconds").isEmpty());
    assertFalse(after.named("jvm_classes_loaded_classes").isEmpty());
    assertFalse(after.named("system_cpu_count").isEmpty());
    assertNoJobIdIn(after, ids);
  }

  /** Per op, the items counters equal the sums of the stages' done and failed over the jobs' status. */
  private static void assertItemsAgree(PrometheusText scraped, List<JsonNode> statuses) {
    Map<String, Long> done = new HashMap<>();
    Map<String, Long> failed = new HashMap<>();
    for (JsonNode status : statuses) {
      for (JsonNode stage : status.path("stages")) {
        String key = stage.path("op").asText() + "/" + stage.path("kind").asText();
        done.merge(key, stage.path("done").asLong(), Long::sum);
        failed.merge(key, stage.path("failed").asLong(), Long::sum);
      }
    }
    for (String key : done.keySet()) {
      Map<String, String> labels = Map.of("op", key.split("/")[0], "kind", key.split("/")[1]);
      assertEquals((double) done.get(key), scraped.sum("baton_items_done_total", labels), key + " done");
      assertEquals((double) failed.get(key), scraped.sum("baton_items_failed_total", labels), key + " failed");
    }
    assertEquals(done.keySet().size(), scraped.named("baton_items_done_total").size(),
        scraped.named("baton_items_done_total").toString());
  }

  private static void assertNoJobIdIn(PrometheusText scraped, List<String> ids) {
    for (PrometheusText.Sample sample : scraped.samples()) {
      for (String value : sample.labels().values()) {
        for (String id : ids) {
          assertFalse(value.contains(id), () -> "job id " + id + " in " + sample);
        }
      }
    }
  }

  private void start() throws Exception {
    Config config = Journal.withDatabase(ConfigFactory.parseString("baton.coordinator.max-running-jobs = 1")
        .withFallback(ConfigFactory.load()).resolve());
    testKit = ActorTestKit.create("metrics", config);
    CompletableFuture<ServerBinding> bound = new CompletableFuture<>();
    testKit.spawn(CoordinatorService.create(CoordinatorSettings.from(config),
        OpRegistry.load(getClass().getClassLoader(), config), Optional.of(NodeSettings.from(config).withWorkers(2)),
        new CoordinatorService.HttpSettings("127.0.0.1", 0, 64 * 1024, dir.resolve("logs")), bound), "service");
    api = URI.create("http://127.0.0.1:" + bound.get(20, TimeUnit.SECONDS).localAddress().getPort());
  }

  private PrometheusText scrape() throws IOException, InterruptedException {
    HttpResponse<String> response = get("/metrics");
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
        response.headers().toString());
    return PrometheusText.parse(response.body());
  }

  private String submit(String spec) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(api.resolve("/api/jobs?name=spec.conf&dir="
            + URLEncoder.encode(dir.toString(), StandardCharsets.UTF_8)))
        .timeout(WAIT).POST(HttpRequest.BodyPublishers.ofString(spec)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    assertEquals(201, response.statusCode(), response.body());
    return JSON.readTree(response.body()).path("id").asText();
  }

  private void cancel(String id) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(api.resolve("/api/jobs/" + id + "/cancel"))
        .timeout(WAIT).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    assertEquals(200, response.statusCode(), response.body());
  }

  private JsonNode awaitState(String id, String state) {
    return testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      JsonNode job = status(id);
      assertEquals(state, job.path("state").asText(), job.toString());
      return job;
    });
  }

  private JsonNode status(String id) {
    try {
      HttpResponse<String> response = get("/api/jobs/" + id);
      assertEquals(200, response.statusCode(), response.body());
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(api.resolve(path)).timeout(WAIT).GET().build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }
}
