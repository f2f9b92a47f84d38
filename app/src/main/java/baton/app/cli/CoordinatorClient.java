package baton.app.cli;

import baton.coordinator.Json;
import baton.coordinator.api.JobStatus;
import baton.protocol.op.Reasons;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The command line's way to the coordinator: JSON over its HTTP API. */
final class CoordinatorClient {

  /** The coordinator could not be reached at all. */
  static final class Unreachable extends Exception {
    Unreachable(String message) {
      super(message);
    }
  }

  /** The coordinator answered with an error status; the message is its {@code error} text. */
  static final class ApiError extends Exception {
    final int status;

    ApiError(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  /** The client's timeouts, read once from {@code baton.client}. */
  record Settings(Duration connectTimeout, Duration requestTimeout) {
    static Settings from(Config config) {
      Config client = config.getConfig("baton.client");
      return new Settings(client.getDuration("connect-timeout"), client.getDuration("request-timeout"));
    }
  }

  private final URI base;
  private final Optional<String> token;
  private final Duration requestTimeout;
  private final HttpClient http;

  CoordinatorClient(String url, Optional<String> token, Settings settings) {
    this.token = token;
    this.base = baseUri(url);
    this.requestTimeout = settings.requestTimeout();
    this.http = HttpClient.newBuilder().connectTimeout(settings.connectTimeout()).build();
  }

  /** The API's base from {@code HOST:PORT} or an http(s) URL; one clear message for anything else. */
  static URI baseUri(String url) {
    String trimmed = url.strip();
    boolean withScheme = trimmed.contains("://");
    IllegalArgumentException bad = new IllegalArgumentException(
        "--coordinator must be HOST:PORT or a URL such as http://127.0.0.1:8551, got " + url);
    URI uri;
    try {
      uri = new URI(withScheme ? trimmed : "http://" + trimmed);
    } catch (URISyntaxException e) {
      throw bad;
    }
    boolean http = "http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme());
    boolean portOk = uri.getPort() > 0 && uri.getPort() <= 65535
        || uri.getPort() == -1 && withScheme && !uri.getRawAuthority().endsWith(":");
    boolean bare = uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/");
    if (!http || uri.getHost() == null || !portOk || !bare || uri.getRawQuery() != null
        || uri.getRawFragment() != null) {
      throw bad;
    }
    return URI.create(uri.getScheme() + "://" + uri.getRawAuthority());
  }

  JobStatus submit(String spec, String name, String dir) throws Unreachable, ApiError {
    String query = "?name=" + encode(name) + "&dir=" + encode(dir);
    return read(send(HttpRequest.newBuilder(base.resolve("/api/jobs" + query))
        .header("Content-Type", "text/plain; charset=utf-8")
        .POST(HttpRequest.BodyPublishers.ofString(spec, StandardCharsets.UTF_8))), JobStatus.class);
  }

  Optional<JobStatus> status(String id) throws Unreachable, ApiError {
    try {
      return Optional.of(read(send(HttpRequest.newBuilder(jobUri(id, "")).GET()), JobStatus.class));
    } catch (ApiError e) {
      if (e.status == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  List<JobStatus> list() throws Unreachable, ApiError {
    String body = send(HttpRequest.newBuilder(base.resolve("/api/jobs")).GET());
    return read(body, new TypeReference<>() { });
  }

  JobStatus cancel(String id) throws Unreachable, ApiError {
    return read(send(HttpRequest.newBuilder(jobUri(id, "/cancel")).POST(HttpRequest.BodyPublishers.noBody())),
        JobStatus.class);
  }

  JsonNode log(String id, long offset) throws Unreachable, ApiError {
    return read(send(HttpRequest.newBuilder(URI.create(jobUri(id, "/log") + "?offset=" + offset)).GET()),
        JsonNode.class);
  }

  JsonNode nodes() throws Unreachable, ApiError {
    return read(send(HttpRequest.newBuilder(base.resolve("/api/nodes")).GET()), JsonNode.class);
  }

  private URI jobUri(String id, String suffix) {
    return base.resolve("/api/jobs/" + encode(id).replace("+", "%20") + suffix);
  }

  private String send(HttpRequest.Builder request) throws Unreachable, ApiError {
    token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
    HttpResponse<String> response;
    try {
      response = http.send(request.timeout(requestTimeout).build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new Unreachable("cannot reach the coordinator at " + base + " (is `baton coordinator` running?)");
    } catch (IOException e) {
      throw new Unreachable("cannot talk to the coordinator at " + base + ": " + Reasons.withKind(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unreachable("interrupted while talking to the coordinator");
    }
    if (response.statusCode() >= 400) {
      throw new ApiError(response.statusCode(), errorText(response));
    }
    return response.body();
  }

  private static String errorText(HttpResponse<String> response) {
    try {
      JsonNode node = Json.mapper().readTree(response.body());
      if (node != null && node.hasNonNull("error")) {
        return node.get("error").asText();
      }
    } catch (IOException e) {
      // Not JSON: fall through to the status line.
    }
    return "the coordinator answered HTTP " + response.statusCode();
  }

  private static <T> T read(String body, Class<T> type) throws ApiError {
    try {
      return Json.mapper().readValue(body, type);
    } catch (IOException e) {
      throw new ApiError(502, "the coordinator sent an answer Baton cannot read: " + e.getMessage());
    }
  }

  private static <T> T read(String body, TypeReference<T> type) throws ApiError {
    try {
      return Json.mapper().readValue(body, type);
    } catch (IOException e) {
      throw new ApiError(502, "the coordinator sent an answer Baton cannot read: " + e.getMessage());
    }
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }
}
