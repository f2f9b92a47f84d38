package baton.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Oversize bodies up to baton.http.drain-limit are read to their end before the 413, so the client gets its answer
 * and the same connection serves the next request. Checked on a raw socket, where a connection closed under the
 * client shows as a failed write or read instead of a silent reconnect.
 */
final class HttpApiOversizeBodyTest {

  private static final int MIB = 1024 * 1024;

  @TempDir
  static Path dir;

  private static ApiServer api;

  @BeforeAll
  static void start() {
    // The drain limit is above Pekko's default max-content-length (8m), which it overrides for POST /api/jobs.
    api = new ApiServer(Map.of("baton.io.roots", java.util.List.of(dir.toString()),
        "baton.http.max-spec-bytes", "64KiB", "baton.http.drain-limit", "12MiB"), dir.resolve("logs"));
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  @Test
  void contentLengthBodyUnderTheDrainLimit_gets413AndTheConnectionServesTheNextRequest() throws Exception {
    byte[] body = RawHttp.filled(9 * MIB);
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(head("POST /api/jobs", "Content-Length: " + body.length));
      out.write(body);
      out.flush();
      assertError(RawHttp.read(socket.getInputStream()), 413);
      assertHealthOnTheSameConnection(socket);
    }
  }

  @Test
  void chunkedBodyUnderTheDrainLimit_gets413AndTheConnectionServesTheNextRequest() throws Exception {
    byte[] chunk = RawHttp.filled(64 * 1024);
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(head("POST /api/jobs", "Transfer-Encoding: chunked"));
      for (int i = 0; i < 16; i++) {
        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(chunk);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertError(RawHttp.read(socket.getInputStream()), 413);
      assertHealthOnTheSameConnection(socket);
    }
  }

  @Test
  void bodyJustOverTheSpecLimit_gets413AndTheConnectionServesTheNextRequest() throws Exception {
    byte[] body = RawHttp.filled(64 * 1024 + 1);
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(head("POST /api/jobs", "Content-Length: " + body.length));
      out.write(body);
      out.flush();
      assertError(RawHttp.read(socket.getInputStream()), 413);
      assertHealthOnTheSameConnection(socket);
    }
  }

  @Test
  void bodyBeyondTheDrainLimit_gets413OrAClosedConnection_andTheApiKeepsServing() throws Exception {
    // Documented (README, Limits): beyond the drain limit the server answers without reading on and closes the
    // connection, so a client still sending may see the 413 or only the closed connection.
    byte[] body = RawHttp.filled(20 * MIB);
    try {
      HttpResponse<String> response =
          api.send(api.request("/api/jobs").POST(HttpRequest.BodyPublishers.ofByteArray(body)));
      assertError(new RawHttp.Response(response.statusCode(), Map.of("content-type",
          response.headers().firstValue("Content-Type").orElse("")), response.body()), 413);
    } catch (IOException closed) {
      // The connection was closed while the client was still sending: allowed beyond the drain limit.
    }
    HttpResponse<String> health = api.get("/api/health");
    assertEquals(200, health.statusCode(), health.body());
  }

  private static void assertHealthOnTheSameConnection(Socket socket) throws IOException {
    RawHttp.assertHealthOnTheSameConnection(api.base, socket, null);
  }

  private static void assertError(RawHttp.Response response, int status) throws IOException {
    assertEquals(status, response.status(), response.body());
    assertTrue(response.headers().getOrDefault("content-type", "").startsWith("application/json"),
        response.headers().toString());
    JsonNode body = Json.mapper().readTree(response.body());
    assertTrue(body.hasNonNull("error"), response.body());
    assertTrue(body.get("error").asText().contains("65536 bytes a spec may have"), response.body());
  }

  private static Socket connect() throws IOException {
    return RawHttp.connect(api.base);
  }

  private static byte[] head(String requestLine, String extraHeader) {
    return RawHttp.head(api.base, requestLine, extraHeader == null ? null : extraHeader + "\r\n");
  }
}
