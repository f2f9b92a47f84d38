package baton.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API answers hostile requests with a JSON error and the fitting status, and keeps serving. */
final class HttpApiHostileInputTest {

  @TempDir
  static Path dir;

  private static Path root;
  private static ApiServer api;

  @BeforeAll
  static void start() throws Exception {
    root = Files.createDirectories(dir.resolve("root"));
    Files.createDirectories(dir.resolve("outside"));
    Files.writeString(dir.resolve("outside/secret.txt"), "secret");
    api = new ApiServer(Map.of("baton.io.roots", java.util.List.of(root.toString()),
        "baton.http.max-spec-bytes", "64KiB"), dir.resolve("logs"));
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  @AfterEach
  void stillServing() throws Exception {
    HttpResponse<String> health = api.get("/api/health");
    assertEquals(200, health.statusCode(), health.body());
  }

  private static String errorOf(HttpResponse<String> response, int status) throws Exception {
    assertEquals(status, response.statusCode(), response.body());
    assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
        response.headers().toString());
    JsonNode body = Json.mapper().readTree(response.body());
    assertTrue(body.hasNonNull("error"), response.body());
    return body.get("error").asText();
  }

  private static String job(String extra) {
    return "input.range { from = 1, to = 3 }\nstages = [ { op = delay, millis = 1 } ]\n" + extra;
  }

  @Test
  void submit_overTheSizeLimit_gets413() throws Exception {
    String spec = job("# " + "x".repeat(100 * 1024));
    String error = errorOf(api.submit(spec, root), 413);
    assertTrue(error.contains("65536 bytes a spec may have"), error);
  }

  @Test
  void submit_farOverTheServersContentLimit_gets413NotAReset() throws Exception {
    byte[] body = new byte[12 * 1024 * 1024];
    java.util.Arrays.fill(body, (byte) 'x');
    errorOf(api.send(api.request("/api/jobs").POST(HttpRequest.BodyPublishers.ofByteArray(body))), 413);
  }

  @Test
  void submit_chunkedOverTheSizeLimit_gets413() throws Exception {
    byte[] body = job("# " + "x".repeat(200 * 1024)).getBytes(StandardCharsets.UTF_8);
    // An input stream has no known length, so the client sends it chunked, without Content-Length.
    errorOf(api.send(api.request("/api/jobs").POST(HttpRequest.BodyPublishers.ofInputStream(
        () -> new ByteArrayInputStream(body)))), 413);
  }

  @Test
  void submit_garbage_gets400() throws Exception {
    errorOf(api.submit("\u0000\u0001}{][ garbage = = = \"", root), 400);
    byte[] binary = new byte[4096];
    new java.util.Random(7).nextBytes(binary);
    errorOf(api.send(api.request("/api/jobs").POST(HttpRequest.BodyPublishers.ofByteArray(binary))), 400);
    errorOf(api.send(api.request("/api/jobs").POST(HttpRequest.BodyPublishers.noBody())), 400);
  }

  @Test
  void submit_deepNesting_gets400NamingTheLimit() throws Exception {
    String error = errorOf(api.submit(job("x = " + "[".repeat(30_000)), root), 400);
    assertTrue(error.contains("max-nesting"), error);
    errorOf(api.submit(job("a" + ".a".repeat(20_000) + " = 1"), root), 400);
  }

  @Test
  void submit_absurdRange_gets400() throws Exception {
    String stages = "\nstages = [ { op = delay, millis = 1 } ]";
    assertTrue(errorOf(api.submit("input.range { from = 0, to = 9223372036854775807 }" + stages, root), 400)
        .contains("max-items"));
    assertTrue(errorOf(api.submit("input.range { from = 10, to = 1 }" + stages, root), 400)
        .contains("less than from"));
    assertTrue(errorOf(api.submit("input.range { from = 1, to = 1e300 }" + stages, root), 400)
        .contains("whole number"));
  }

  @Test
  void submit_include_gets400WithoutReadingTheFile() throws Exception {
    String error = errorOf(api.submit(job("include file(\"" + dir.resolve("outside/secret.txt") + "\")"), root),
        400);
    assertTrue(error.contains("include is not allowed"), error);
  }

  @Test
  void submit_pathOutsideRoots_gets400() throws Exception {
    String error = errorOf(api.submit("input.files = \"../outside/*.txt\"\nstages = [ { op = read-file } ]",
        root), 400);
    assertTrue(error.contains("baton.io.roots"), error);
  }

  @Test
  void submit_invalidDirParameter_gets400() throws Exception {
    errorOf(api.send(api.request("/api/jobs?dir=%00").POST(HttpRequest.BodyPublishers.ofString(job("")))), 400);
  }

  @Test
  void jobRoutes_withUnknownOrMalformedIds_get404() throws Exception {
    for (String id : new String[] {"no-such-job-000000", "x".repeat(500), "%2e%2e", "%00", "A%20B", "-"}) {
      errorOf(api.get("/api/jobs/" + id), 404);
      errorOf(api.get("/api/jobs/" + id + "/log"), 404);
      errorOf(api.send(api.request("/api/jobs/" + id + "/cancel").POST(HttpRequest.BodyPublishers.noBody())), 404);
    }
    errorOf(api.get("/api/jobs/a/b/c"), 404);
    errorOf(api.get("/nothing/here"), 404);
  }

  @Test
  void submit_ofAGoodSpec_stillGets201() throws Exception {
    HttpResponse<String> response = api.submit(job(""), root);
    assertEquals(201, response.statusCode(), response.body());
  }
}
