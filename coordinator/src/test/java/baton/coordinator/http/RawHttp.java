package baton.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 on a raw socket, for tests about the connection itself: a connection closed under the client shows as a
 * failed write or read instead of the silent reconnect of a pooled client.
 */
final class RawHttp {

  private RawHttp() {
  }

  /** One response with a Content-Length body, read without closing the connection. */
  record Response(int status, Map<String, String> headers, String body) {
  }

  static Socket connect(URI base) throws IOException {
    Socket socket = new Socket(base.getHost(), base.getPort());
    socket.setSoTimeout(30_000);
    return socket;
  }

  static byte[] filled(int size) {
    byte[] body = new byte[size];
    Arrays.fill(body, (byte) 'x');
    return body;
  }

  /** A request line and headers; {@code extraHeaders} (each ending in CRLF) come after a text Content-Type. */
  static byte[] head(URI base, String requestLine, String extraHeaders) {
    return (requestLine + " HTTP/1.1\r\nHost: " + base.getAuthority() + "\r\n"
        + (extraHeaders == null ? "" : "Content-Type: text/plain; charset=utf-8\r\n" + extraHeaders)
        + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** GET /api/health on the same connection answers 200, with no Connection: close. */
  static void assertHealthOnTheSameConnection(URI base, Socket socket, String extraHeaders) throws IOException {
    socket.getOutputStream().write(head(base, "GET /api/health", extraHeaders == null ? null : extraHeaders));
    socket.getOutputStream().flush();
    Response health = read(socket.getInputStream());
    assertEquals(200, health.status(), health.body());
  }

  /** One response; fails when the server closes the connection or says it will. */
  static Response read(InputStream in) throws IOException {
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
