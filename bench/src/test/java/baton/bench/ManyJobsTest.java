package baton.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

final class ManyJobsTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration POLL = Duration.ofMillis(1);
  private static final Duration DEADLINE = Duration.ofMinutes(1);

  private final StubCoordinator stub = new StubCoordinator();

  @AfterEach
  void stop() {
    stub.close();
  }

  @Test
  void burst_stubCoordinator_countsEveryJobAndItsPercentiles() throws Exception {
    // Job k (in the order the stub took them) ran k ms by the coordinator's clock, and answers RUNNING once.
    stub.answer(k -> null);
    stub.answer(k -> "SUCCEEDED");
    ManyJobs.Result result = ManyJobs.burst(stub.api(10), 100, 8, POLL, DEADLINE);
    assertEquals(100, result.jobs());
    assertEquals(100, stub.posted.get());
    assertEquals(100, result.inSystem().count());
    assertEquals(100, result.seen().count());
    Latencies.Percentiles p = result.inSystem().percentiles();
    assertEquals(50, p.p50(), 0.1);
    assertEquals(90, p.p90(), 0.1);
    assertEquals(99, p.p99(), 0.1);
    assertEquals(100, p.max(), 0.1);
    stub.polls.forEach((id, polls) -> assertTrue(polls >= 2, id + " was seen finished after " + polls + " poll(s)"));
    assertTrue(result.nanos() > 0 && result.jobsPerSecond() > 0);
  }

  @Test
  void burst_moreClientsThanJobs_eachJobOnce() throws Exception {
    stub.answer(k -> "SUCCEEDED");
    ManyJobs.Result result = ManyJobs.burst(stub.api(10), 3, 8, POLL, DEADLINE);
    assertEquals(3, result.jobs());
    assertEquals(3, stub.posted.get());
    assertEquals(3, result.inSystem().count());
  }

  @Test
  void burst_aJobFails_theRunFailsNamingIt() {
    stub.answer(k -> k == 5 ? "FAILED" : "SUCCEEDED");
    IllegalStateException failure = assertThrows(IllegalStateException.class,
        () -> ManyJobs.burst(stub.api(10), 20, 4, POLL, DEADLINE));
    assertTrue(failure.getMessage().contains("job-5 did not succeed: FAILED: stub says no"), failure.getMessage());
  }

  @Test
  void burst_jobSucceededWithAnItemMissing_countedAsFailed() {
    stub.answer(k -> "SUCCEEDED");
    IllegalStateException failure = assertThrows(IllegalStateException.class,
        () -> ManyJobs.burst(stub.api(11), 4, 2, POLL, DEADLINE));
    assertTrue(failure.getMessage().contains("succeeded with 10 of 11 items"), failure.getMessage());
  }

  @Test
  void oneAtATime_stub_eachJobSubmittedAfterTheLastFinished() throws Exception {
    stub.answer(k -> null);
    stub.answer(k -> "SUCCEEDED");
    ManyJobs.Result result = ManyJobs.oneAtATime(stub.api(10), 10, POLL, Duration.ZERO, DEADLINE);
    assertEquals(10, result.jobs());
    assertEquals(10, stub.posted.get());
    assertEquals(1, stub.mostUnfinished.get(), "jobs at once, by the stub's count");
    assertEquals(10, result.inSystem().percentiles().max(), 0.1);
    assertEquals(10, result.seen().count());
  }

  /**
   * Baton's job API on a loopback port: {@code POST /api/jobs} takes job k (k = 1, 2, ...), which took k ms by
   * its clock; {@code GET /api/jobs/job-k} answers with the states given, one per poll, then the last one again
   * (null: RUNNING). Ten items succeed in every job.
   */
  private static final class StubCoordinator implements AutoCloseable {
    final AtomicInteger posted = new AtomicInteger();
    final AtomicInteger unfinished = new AtomicInteger();
    final AtomicInteger mostUnfinished = new AtomicInteger();
    final Map<String, Integer> polls = new ConcurrentHashMap<>();
    private final Map<Integer, IntFunction<String>> answers = new ConcurrentHashMap<>();
    private final Map<String, Boolean> finished = new ConcurrentHashMap<>();
    private final ExecutorService threads = Executors.newFixedThreadPool(8);
    private final HttpServer server;

    StubCoordinator() {
      try {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      server.createContext("/api/jobs", this::handle);
      server.setExecutor(threads);
      server.start();
    }

    void answer(IntFunction<String> state) {
      answers.put(answers.size(), state);
    }

    JobApi api(long items) {
      return new HttpJobApi(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"),
          HttpClient.newHttpClient(), ManyJobs.JOB.withItems(items));
    }

    private void handle(HttpExchange exchange) throws IOException {
      exchange.getRequestBody().readAllBytes();
      String path = exchange.getRequestURI().getPath();
      if (exchange.getRequestMethod().equals("POST") && path.equals("/api/jobs")) {
        int k = posted.incrementAndGet();
        mostUnfinished.accumulateAndGet(unfinished.incrementAndGet(), Math::max);
        reply(exchange, 201, "{\"id\": \"job-" + k + "\", \"state\": \"RUNNING\"}");
        return;
      }
      String id = path.substring("/api/jobs/".length());
      int k = Integer.parseInt(id.substring("job-".length()));
      int poll = polls.merge(id, 1, Integer::sum);
      String state = answers.get(Math.min(poll, answers.size()) - 1).apply(k);
      Instant submitted = T0.plusSeconds(k);
      String finishedAt = state == null ? "null" : "\"" + submitted.plusMillis(k) + "\"";
      if (state != null && finished.putIfAbsent(id, true) == null) {
        unfinished.decrementAndGet();
      }
      reply(exchange, 200, "{\"id\": \"" + id + "\", \"state\": \"" + (state == null ? "RUNNING" : state)
          + "\", \"items\": {\"total\": 10, \"succeeded\": 10, \"failed\": 0, \"filtered\": 0, \"notRun\": 0}, "
          + "\"error\": " + ("FAILED".equals(state) ? "\"stub says no\"" : "null") + ", \"submittedAt\": \""
          + submitted + "\", \"finishedAt\": " + finishedAt + "}");
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    }

    @Override
    public void close() {
      server.stop(0);
      threads.shutdownNow();
    }
  }
}
