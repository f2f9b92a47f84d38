package baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** The many-jobs workload through Baton's HTTP API: {@code POST /api/jobs}, then {@code GET /api/jobs/ID}. */
final class HttpJobApi implements JobApi {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final URI base;
  private final HttpClient http;
  private final String spec;
  private final long items;

  /** Submits {@code workload}'s spec to the coordinator whose HTTP API is at {@code base}. */
  HttpJobApi(URI base, HttpClient http, Workload workload) {
    this.base = base;
    this.http = http;
    this.spec = workload.spec(Optional.empty());
    this.items = workload.items();
  }

  @Override
  public String submit() throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve("/api/jobs?name=many-jobs.conf"))
        .timeout(TIMEOUT).POST(HttpRequest.BodyPublishers.ofString(spec, StandardCharsets.UTF_8)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 201) {
      throw new IllegalStateException("the coordinator did not take a job: " + response.statusCode() + " "
          + response.body());
    }
    return JSON.readTree(response.body()).get("id").asText();
  }

  @Override
  public Status status(String id) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve("/api/jobs/" + id))
        .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("GET /api/jobs/" + id + " answered " + response.statusCode() + " "
          + response.body());
    }
    JsonNode job = JSON.readTree(response.body());
    Instant submittedAt = Instant.parse(job.get("submittedAt").asText());
    String state = job.get("state").asText();
    switch (state) {
      case "SUCCEEDED" -> {
        long succeeded = job.get("items").get("succeeded").asLong();
        return succeeded == items
            ? Status.succeeded(submittedAt, Instant.parse(job.get("finishedAt").asText()))
            : Status.failed(submittedAt, "succeeded with " + succeeded + " of " + items + " items");
      }
      case "FAILED", "CANCELLED" -> {
        return Status.failed(submittedAt, state + ": " + job.path("error").asText(""));
      }
      default -> {
        return Status.running(submittedAt);
      }
    }
  }
}
