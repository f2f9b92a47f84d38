package baton.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's static files come from the jar without a token (they hold no data); the event stream, like every
 * other /api route, wants the token when one is set.
 */
@ExtendWith(LogCapturingExtension.class)
final class HttpApiDashboardTest {

  private static final String TOKEN = "dashboard-token";

  @TempDir
  static Path dir;

  private static ApiServer api;

  @BeforeAll
  static void start() {
    api = new ApiServer(Map.of("baton.http.token", TOKEN), dir);
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  private static String contentType(HttpResponse<String> response) {
    return response.headers().firstValue("Content-Type").orElse("");
  }

  @Test
  void root_withoutToken_servesTheDashboardPage() throws Exception {
    HttpResponse<String> page = api.get("/");

    assertEquals(200, page.statusCode(), page.body());
    assertTrue(contentType(page).startsWith("text/html"), contentType(page));
    assertTrue(page.body().contains("<script src=\"app.js\""), page.body());
  }

  @Test
  void scriptAndStyle_withoutToken_servedWithTheirTypes() throws Exception {
    HttpResponse<String> script = api.get("/app.js");
    HttpResponse<String> style = api.get("/app.css");

    assertEquals(200, script.statusCode(), script.body());
    assertTrue(contentType(script).contains("javascript"), contentType(script));
    assertTrue(script.body().contains("/api/events"), "the script reads the event stream");
    assertEquals(200, style.statusCode(), style.body());
    assertTrue(contentType(style).startsWith("text/css"), contentType(style));
  }

  @Test
  void unknownFile_withToken404_withoutToken401() throws Exception {
    // Only the dashboard's files are open; any other path wants the token, as before the dashboard.
    assertEquals(404, withToken("/no-such-file.js").statusCode());
    assertEquals(401, api.get("/no-such-file.js").statusCode());
  }

  @Test
  void outsideTheDashboardFolder_notServed() throws Exception {
    // Only the dashboard's own folder of the class path is served, not the rest of the jar.
    assertEquals(404, withToken("/reference.conf").statusCode());
    assertEquals(404, withToken("/baton/pekko.conf").statusCode());
    assertEquals(404, withToken("/..%2Freference.conf").statusCode());
    assertEquals(404, withToken("/../reference.conf").statusCode());
  }

  private static HttpResponse<String> withToken(String path) throws Exception {
    return api.send(api.request(path).header("Authorization", "Bearer " + TOKEN).GET());
  }

  @Test
  void events_withoutToken_401() throws Exception {
    HttpResponse<String> events = api.get("/api/events");

    assertEquals(401, events.statusCode(), events.body());
    assertTrue(events.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
  }

  @Test
  void events_withToken_200EventStream() throws Exception {
    HttpResponse<java.io.InputStream> events = api.http.send(api.request("/api/events")
        .header("Authorization", "Bearer " + TOKEN).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    try (java.io.InputStream body = events.body()) {
      assertEquals(200, events.statusCode(), () -> events.statusCode() + ": " + readSome(body));
      assertTrue(events.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"),
          events.headers().toString());
    }
  }

  private static String readSome(java.io.InputStream body) {
    try {
      return new String(body.readNBytes(2000), java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
