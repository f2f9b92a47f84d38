package baton.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.CoordinatorSettings;
import baton.coordinator.Journal;
import baton.coordinator.WorkDispatcher;
import baton.coordinator.api.JobState;
import baton.coordinator.api.JobStatus;
import baton.coordinator.metrics.Metrics;
import baton.node.ClusterSetup;
import baton.protocol.op.OpKind;
import baton.protocol.op.OpRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The owner of the jobs as a Cluster Singleton: its protocol crosses the cluster (serialized with Jackson CBOR),
 * and two coordinator services in one cluster, on one journal, answer the API from the one owner, which moves to
 * the other coordinator when the first leaves.
 */
@ExtendWith(LogCapturingExtension.class)
final class JobOwnerTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<ActorTestKit> kits = new ArrayList<>();

  @AfterEach
  void stop() {
    kits.forEach(ActorTestKit::shutdownTestKit);
  }

  @Test
  void jobOwnerMessages_serialized_readBackEqual() {
    ActorTestKit kit = ActorTestKit.create("serialization");
    kits.add(kit);
    TestProbe<Object> probe = kit.createTestProbe();
    JobStatus status = new JobStatus("j-1", "sums", JobState.RUNNING, 12, new JobStatus.Items(10, 4, 1, 0, 0),
        List.of(new JobStatus.StageStatus("sha256", OpKind.CPU, 5, 1, null, 2, 8)), null, "/tmp/out.tsv",
        "2024-01-01T00:00:00Z", "2024-01-01T00:00:01Z", null, List.of(new JobStatus.NodeItems("pekko://baton@x:1", 4)),
        null, null, 2.5, 2400L, Map.of("RUNNING", 1000L), "sha256", null);
    List<Object> messages = List.of(
        new JobOwner.Submit("input.range { from = 1, to = 2 }", "a.conf", "/tmp", null, probe.ref().narrow()),
        new JobOwner.Submit("spec", "a.conf", "/tmp", "ab12", probe.ref().narrow()),
        new JobOwner.Rerun("j-1", true, Optional.of("/tmp/o"), probe.ref().narrow()),
        new JobOwner.Rerun("j-1", false, Optional.empty(), probe.ref().narrow()),
        new JobOwner.SubmitAnswer(JobOwner.Outcome.ACCEPTED, status, null),
        new JobOwner.SubmitAnswer(JobOwner.Outcome.REJECTED, null, "bad spec"),
        new JobOwner.GetJob("j-1", probe.ref().narrow()),
        new JobOwner.CancelJob("j-1", probe.ref().narrow()),
        new JobOwner.JobAnswer(Optional.of(status)),
        new JobOwner.JobAnswer(Optional.empty()),
        new JobOwner.ListJobs(probe.ref().narrow()),
        new JobOwner.JobList(List.of(status, status)),
        new JobOwner.GetHealth(probe.ref().narrow()),
        new JobOwner.HealthAnswer(true, 2, 3),
        new JobOwner.GetJobCounts(probe.ref().narrow()),
        new JobOwner.JobCounts(Map.of(JobState.RUNNING, 2, JobState.QUEUED, 0)),
        new JobOwner.GetFailures("j-1", probe.ref().narrow()),
        new JobOwner.FailuresAnswer(true, Optional.of("/data/jobs/j-1.failed.tsv")),
        new JobOwner.FailuresAnswer(false, Optional.empty()),
        new JobOwner.GetNodes(probe.ref().narrow()),
        new JobOwner.NodesAnswer(List.of(new WorkDispatcher.NodeInfo("pekko://baton@x:1", 2, 1, 100))),
        new JobOwner.GetLoad(probe.ref().narrow()),
        new JobOwner.LoadAnswer(3, 700, List.of(new Metrics.NodeLoad("pekko://baton@x:1", 2, 1, 3))),
        JobOwner.Stop.INSTANCE);
    for (Object message : messages) {
      // Checks too that no message falls back to Java serialization, which is off.
      kit.serializationTestKit().verifySerialization(message, true);
    }
  }

  @Test
  void twoCoordinators_firstLeavesMidJob_secondOwnsTheJobsAndTheJobEndsWithEveryItemOnce() throws Exception {
    String journal = "jdbc:h2:mem:owner-" + UUID.randomUUID()
        + ";DB_CLOSE_DELAY=-1;INIT=RUNSCRIPT FROM 'classpath:baton/h2-schema.sql'";
    int seedPort = freePort();
    URI first = start("first", seedPort, seedPort, journal);
    URI second = start("second", freePort(), seedPort, journal);
    // No node, so io stages only: a delay per item.
    String done = submit(second, "name = before\ninput.range { from = 1, to = 20 }\n"
        + "stages = [ { op = delay, millis = 1 } ]\noutput = \"before.tsv\"");
    awaitState(second, done, "SUCCEEDED");
    String slow = submit(second, "name = slow\ninput.range { from = 1, to = 400 }\n"
        + "stages = [ { op = delay, millis = 20, parallelism = 2 } ]\noutput = \"slow.tsv\"");
    awaitProgress(first, slow);
    // The first coordinator, the owner, leaves the cluster: the owner moves to the second.
    kits.get(0).shutdownTestKit();
    kits.remove(0);
    JsonNode ended = awaitState(second, slow, "SUCCEEDED");
    assertEquals(400, ended.path("items").path("succeeded").asLong(), ended.toString());
    List<String> lines = Files.readAllLines(dir.resolve("slow.tsv"));
    assertEquals(400, lines.size(), "every item once: " + lines.size() + " lines");
    assertEquals(400, lines.stream().distinct().count());
    JsonNode list = JSON.readTree(get(second, "/api/jobs").body());
    List<String> ids = new ArrayList<>();
    list.forEach(job -> ids.add(job.path("id").asText()));
    assertTrue(ids.contains(done) && ids.contains(slow), ids.toString());
  }

  private URI start(String name, int port, int seedPort, String journal) throws Exception {
    Config base = ConfigFactory.parseString("baton.journal.db.url = \"" + journal + "\"")
        .withValue("baton.coordinator.data-dir", ConfigValueFactory.fromAnyRef(dir.resolve("data").toString()))
        .withFallback(ConfigFactory.load());
    Config config = Journal.withDatabase(ClusterSetup.member(base, ClusterSetup.COORDINATOR_ROLE, "127.0.0.1",
        port, List.of("127.0.0.1:" + seedPort)));
    ActorTestKit kit = ActorTestKit.create(ClusterSetup.SYSTEM_NAME, config);
    kits.add(kit);
    CompletableFuture<ServerBinding> bound = new CompletableFuture<>();
    kit.spawn(CoordinatorService.create(CoordinatorSettings.from(config),
        OpRegistry.load(getClass().getClassLoader(), config), Optional.empty(),
        new CoordinatorService.HttpSettings("127.0.0.1", 0, 64 * 1024, dir.resolve("logs")), bound), "service");
    return URI.create("http://127.0.0.1:" + bound.get(20, TimeUnit.SECONDS).localAddress().getPort());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private String submit(URI api, String spec) {
    JsonNode job = await(() -> {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(api.resolve(
              "/api/jobs?name=spec.conf&dir=" + URLEncoder.encode(dir.toString(), StandardCharsets.UTF_8)))
          .timeout(WAIT).POST(HttpRequest.BodyPublishers.ofString(spec)).build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      assertEquals(201, response.statusCode(), response.body());
      return JSON.readTree(response.body());
    });
    return job.path("id").asText();
  }

  private void awaitProgress(URI api, String id) {
    await(() -> {
      JsonNode job = JSON.readTree(get(api, "/api/jobs/" + id).body());
      assertTrue(job.path("items").path("succeeded").asLong() > 20, job.toString());
      return job;
    });
  }

  private JsonNode awaitState(URI api, String id, String state) {
    return await(() -> {
      HttpResponse<String> response = get(api, "/api/jobs/" + id);
      assertEquals(200, response.statusCode(), response.body());
      JsonNode job = JSON.readTree(response.body());
      assertEquals(state, job.path("state").asText(), job.toString());
      return job;
    });
  }

  private interface Check {
    JsonNode run() throws Exception;
  }

  private JsonNode await(Check check) {
    return kits.get(kits.size() - 1).createTestProbe().awaitAssert(WAIT, Duration.ofMillis(100), () -> {
      try {
        return check.run();
      } catch (IOException e) {
        throw new AssertionError(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  private HttpResponse<String> get(URI api, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(api.resolve(path)).timeout(WAIT).GET().build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }
}
