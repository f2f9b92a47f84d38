package baton.app.cli;

import baton.coordinator.Json;
import baton.coordinator.api.FailurePage;
import baton.coordinator.api.JobStatus;
import baton.protocol.op.Reasons;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import baton.coordinator.BatonConfig;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * The command line's way to the coordinator: JSON over its HTTP API. It uses the JDK's {@link HttpURLConnection}:
 * {@code java.net.http.HttpClient}'s selector thread held every client command's exit for about 300 ms (the JVM
 * waits for threads in native code before it exits), a third of a {@code baton list}.
 */
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

    /** Where the jar keeps the app module's reference.conf on its own (the pom copies it there). */
    static final String DEFAULTS = "baton/app/reference.conf";

    static Settings from(Config config) {
      Config client = config.getConfig("baton.client");
      return new Settings(client.getDuration("connect-timeout"), client.getDuration("request-timeout"));
    }

    static Settings load(ClassLoader loader) {
      return from(read(loader));
    }

    /**
     * The config a client command needs, layered as {@link BatonConfig} does but over the app module's defaults
     * alone (the jar carries a copy of them as {@value #DEFAULTS}): parsing every module's, Pekko's among them,
     * took a fifth of a client command's time. Keys outside {@code baton.client} may stay unresolved.
     */
    static Config read(ClassLoader loader) {
      ConfigFactory.invalidateCaches();
      return ConfigFactory.defaultOverrides(loader)
          .withFallback(ConfigFactory.defaultApplication(loader))
          .withFallback(ConfigFactory.parseResources(loader, DEFAULTS))
          .resolve(ConfigResolveOptions.defaults().setAllowUnresolved(true));
    }
  }

  private final URI base;
  private final Optional<String> token;
  private final Duration connectTimeout;
  private final Duration requestTimeout;
  private final Optional<SSLContext> tls;

  CoordinatorClient(String url, Optional<String> token, Settings settings) {
    this(url, token, settings, Optional.empty());
  }

  /**
   * @param tls trusts the cluster's CA ({@code --tls DIR}): the client speaks HTTPS, whatever scheme {@code url}
   *     names
   */
  CoordinatorClient(String url, Optional<String> token, Settings settings, Optional<SSLContext> tls) {
    this.token = token;
    URI uri = baseUri(url);
    this.base = tls.isPresent() ? URI.create("https://" + uri.getRawAuthority()) : uri;
    this.connectTimeout = settings.connectTimeout();
    this.requestTimeout = settings.requestTimeout();
    this.tls = tls;
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
    return submit(spec, name, dir, null);
  }

  /** Submits a job that brought the code bundle {@code code} (its hash, from {@link #sendCode}); null: none. */
  JobStatus submit(String spec, String name, String dir, String code) throws Unreachable, ApiError {
    String query = "?name=" + encode(name) + "&dir=" + encode(dir) + (code == null ? "" : "&code=" + encode(code));
    return read(send("POST", base.resolve("/api/jobs" + query), spec), JobStatus.class);
  }

  /** Sends a code bundle (a jar) to the coordinator, which keeps it; returns its hash. */
  String sendCode(byte[] bundle) throws Unreachable, ApiError {
    JsonNode answer = read(send("POST", base.resolve("/api/code"), bundle, "application/java-archive"),
        JsonNode.class);
    return answer.path("hash").asText();
  }

  Optional<JobStatus> status(String id) throws Unreachable, ApiError {
    try {
      return Optional.of(read(send("GET", jobUri(id, ""), null), JobStatus.class));
    } catch (ApiError e) {
      if (e.status == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  List<JobStatus> list() throws Unreachable, ApiError {
    String body = send("GET", base.resolve("/api/jobs"), null);
    return read(body, new TypeReference<>() { });
  }

  JobStatus cancel(String id) throws Unreachable, ApiError {
    return read(send("POST", jobUri(id, "/cancel"), ""), JobStatus.class);
  }

  FailurePage failures(String id, long offset, int limit) throws Unreachable, ApiError {
    return read(send("GET", URI.create(jobUri(id, "/failures") + "?offset=" + offset + "&limit=" + limit), null),
        FailurePage.class);
  }

  /** Reruns an ended job; {@code output} (absolute, or null for the rerun's own) is where it writes. */
  JobStatus rerun(String id, boolean failedOnly, String output) throws Unreachable, ApiError {
    String query = "?failedOnly=" + failedOnly + (output == null ? "" : "&output=" + encode(output));
    return read(send("POST", URI.create(jobUri(id, "/rerun") + query), ""), JobStatus.class);
  }

  JsonNode log(String id, long offset) throws Unreachable, ApiError {
    return read(send("GET", URI.create(jobUri(id, "/log") + "?offset=" + offset), null), JsonNode.class);
  }

  JsonNode nodes() throws Unreachable, ApiError {
    return read(send("GET", base.resolve("/api/nodes"), null), JsonNode.class);
  }

  private URI jobUri(String id, String suffix) {
    return base.resolve("/api/jobs/" + encode(id).replace("+", "%20") + suffix);
  }

  /**
   * One request; {@code body} null for a GET. The request timeout bounds each wait for the coordinator's answer
   * (HttpURLConnection's read timeout), the connect timeout the connection.
   */
  private String send(String method, URI uri, String body) throws Unreachable, ApiError {
    return send(method, uri, body == null ? null : body.getBytes(StandardCharsets.UTF_8), "text/plain; charset=utf-8");
  }

  private String send(String method, URI uri, byte[] bytes, String contentType) throws Unreachable, ApiError {
    HttpURLConnection connection;
    try {
      connection = (HttpURLConnection) uri.toURL().openConnection();
      connection.setRequestMethod(method);
      if (connection instanceof HttpsURLConnection https && tls.isPresent()) {
        https.setSSLSocketFactory(tls.get().getSocketFactory());
      }
    } catch (IOException e) {
      throw new Unreachable("cannot talk to the coordinator at " + base + ": " + Reasons.withKind(e));
    }
    connection.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
    connection.setReadTimeout((int) Math.min(Integer.MAX_VALUE, requestTimeout.toMillis()));
    token.ifPresent(t -> connection.setRequestProperty("Authorization", "Bearer " + t));
    if (bytes != null) {
      connection.setDoOutput(true);
      connection.setFixedLengthStreamingMode(bytes.length);
      connection.setRequestProperty("Content-Type", contentType);
    }
    try {
      connection.connect();
    } catch (SocketTimeoutException e) {
      if ("https".equals(base.getScheme()) && String.valueOf(e.getMessage()).contains("Read timed out")) {
        // Connected, but no TLS answer: whatever listens there is not an HTTPS server.
        throw new IllegalArgumentException("the coordinator at " + base + " did not answer the TLS handshake: it "
            + "does not serve HTTPS (started without --tls?); drop --tls (and BATON_TLS), or start it with --tls");
      }
      throw new Unreachable("cannot reach the coordinator at " + base + " (is `baton coordinator` running?)");
    } catch (ConnectException e) {
      throw new Unreachable("cannot reach the coordinator at " + base + " (is `baton coordinator` running?)");
    } catch (SSLException e) {
      throw tlsMismatch(e);
    } catch (IOException e) {
      throw new Unreachable("cannot talk to the coordinator at " + base + ": " + Reasons.withKind(e));
    }
    int status;
    String answer;
    try {
      if (bytes != null) {
        try (OutputStream out = connection.getOutputStream()) {
          out.write(bytes);
        }
      }
      status = connection.getResponseCode();
      try (InputStream in = status >= 400 ? connection.getErrorStream() : connection.getInputStream()) {
        answer = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (SSLException e) {
      throw tlsMismatch(e);
    } catch (IOException e) {
      if (!tls.isPresent() && "http".equals(base.getScheme()) && String.valueOf(e.getMessage())
          .matches("(?s).*(Unexpected end of file|Invalid Http response|Connection reset).*")) {
        throw new IllegalArgumentException("the coordinator at " + base + " closed the connection without an "
            + "answer: it serves HTTPS when started with --tls; give --tls DIR (or BATON_TLS), a member's folder "
            + "from `baton certs issue`");
      }
      throw new Unreachable("cannot talk to the coordinator at " + base + ": " + Reasons.withKind(e));
    }
    if (status >= 400) {
      throw new ApiError(status, errorText(status, answer));
    }
    return answer;
  }

  /** A TLS failure is a mismatch of the client's and the coordinator's set-up: one clear line, exit 2. */
  private IllegalArgumentException tlsMismatch(SSLException e) {
    String message = String.valueOf(e.getMessage());
    String where = "the coordinator at " + base;
    if (message.contains("Unsupported or unrecognized SSL message")) {
      return new IllegalArgumentException(where + " does not speak HTTPS: it was started without --tls; drop "
          + "--tls (and BATON_TLS), or start it with --tls");
    }
    if (message.contains("No subject alternative") || message.contains("No name matching")) {
      return new IllegalArgumentException(where + " has a certificate that does not name " + base.getHost()
          + ": reach it at an address its certificate names (`baton certs issue ... --host`)");
    }
    if (message.contains("PKIX") || message.contains("certification path")) {
      return new IllegalArgumentException(tls.isPresent()
          ? where + " has a certificate that is not from the CA in the --tls folder (another cluster's CA?)"
          : where + " has a certificate that is not from a CA this client trusts: give --tls DIR (or BATON_TLS), "
              + "a member's folder from `baton certs issue`");
    }
    return new IllegalArgumentException(where + ": the TLS handshake failed: " + message);
  }

  private static String errorText(int status, String body) {
    try {
      JsonNode node = Json.mapper().readTree(body);
      if (node != null && node.hasNonNull("error")) {
        return node.get("error").asText();
      }
    } catch (IOException e) {
      // Not JSON: fall through to the status line.
    }
    return "the coordinator answered HTTP " + status;
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
