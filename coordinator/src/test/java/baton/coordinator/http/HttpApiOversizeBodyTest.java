package baton.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
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
    byte[] body = filled(9 * MIB);
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(head("POST /api/jobs", "Content-Length: " + body.length));
      out.write(body);
      out.flush();
      assertError(read(socket.getInputStream()), 413);
      assertHealthOnTheSameConnection(socket);
    }
  }

  @Test
  void chunkedBodyUnderTheDrainLimit_gets413AndTheConnectionServesTheNextRequest() throws Exception {
    byte[] chunk = filled(64 * 1024);
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
      assertError(read(socket.getInputStream()), 413);
      assertHealthOnTheSameConnection(socket);
    }
  }

  @Test
  void bodyJustOverTheSpecLimit_gets413AndTheConnectionServesTheNextRequest() throws Exception {
    byte[] body = filled(64 * 1024 + 1);
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(head("POST /api/jobs", "Content-Length: " + body.length));
      out.write(body);
      out.flush();
      assertError(read(socket.getInputStream()), 413);
      assertHealthOnTheSameConnection(socket);
    }
  }

  @Test
  void bodyBeyondTheDrainLimit_gets413OrAClosedConnection_andTheApiKeepsServing() throws Exception {
    // Documented (README, Limits): beyond the drain limit the server answers without reading on and closes the
    // connection, so a client still sending may see the 413 or only the closed connection.
    byte[] body = filled(20 * MIB);
    try {
      HttpResponse<String> response =
          api.send(api.request("/api/jobs").POST(HttpRequest.BodyPublishers.ofByteArray(body)));
      assertError(new Response(response.statusCode(), Map.of("content-type",
          response.headers().firstValue("Content-Type").orElse("")), response.body()), 413);
    } catch (IOException closed) {
      // The connection was closed while the client was still sending: allowed beyond the drain limit.
    }
    HttpResponse<String> health = api.get("/api/health");
    assertEquals(200, health.statusCode(), health.body());
  }

  private static void assertHealthOnTheSameConnection(Socket socket) throws IOException {
    socket.getOutputStream().write(head("GET /api/health", null));
    socket.getOutputStream().flush();
    Response health = read(socket.getInputStream());
    assertEquals(200, health.status(), health.body());
  }

  private static void assertError(Response response, int status) throws IOException {
    assertEquals(status, response.status(), response.body());
    assertTrue(response.headers().getOrDefault("content-type", "").startsWith("application/json"),
        response.headers().toString());
    JsonNode body = Json.mapper().readTree(response.body());
    assertTrue(body.hasNonNull("error"), response.body());
    assertTrue(body.get("error").asText().contains("65536 bytes a spec may have"), response.body());
  }

  private static Socket connect() throws IOException {
    Socket socket = new Socket(api.base.getHost(), api.base.getPort());
    socket.setSoTimeout(30_000);
    return socket;
  }

  private static byte[] filled(int size) {
    byte[] body = new byte[size];
    Arrays.fill(body, (byte) 'x');
    return body;
  }

  private static byte[] head(String requestLine, String extraHeader) {
    return (requestLine + " HTTP/1.1\r\nHost: " + api.base.getAuthority() + "\r\n"
        + (extraHeader == null ? "" : "Content-Type: text/plain; charset=utf-8\r\n" + extraHeader + "\r\n")
        + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  private record Response(int status, Map<String, String> headers, String body) {
  }

  /** One HTTP/1.1 response with a Content-Length body, read without closing the connection. */
  private static Response read(InputStream in) throws IOException {
    String statusLine = line(in);
    assertTrue(statusLine.startsWith("HTTP/1.1 "), "not an HTTP response: " + statusLine);
    int status = Integer.parseInt(statusLine.substring(9, 12));
    Map<String, String> headers = new LinkedHashMap<>();
    for (String header = line(in); !header.isEmpty(); header = line(in)) {
      int colon = header.indexOf(':');
      headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
    }
    assertTrue(headers.containsKey("content-length"), "no Content-Length: " + headers);
    assertTrue(!"close".equalsIgnoreCase(headers.getOrDefault("connection", "")),
        "the server closes the connection: " + headers);
    byte[] body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
    return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new IOException("the server closed the connection; read so far: " + line);
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.US_ASCII);
  }
}
