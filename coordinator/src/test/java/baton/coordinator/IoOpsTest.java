package baton.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.protocol.op.IoContext;
import baton.protocol.op.IoOp;
import baton.protocol.op.IoRoots;
import baton.protocol.op.OpRegistry;
import baton.protocol.spec.SpecException;
import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in io ops, made from spec parameters through the registry as a job would, and run with the real
 * {@link IoRuntime} of an actor system.
 */
// One instance per class: TestKitJUnit5Extension shuts down only the last instance's test kit.
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
final class IoOpsTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  // The local test server listens on 127.0.0.1, which http-get refuses unless baton.io.http.allow lists it.
  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(ConfigFactory.parseString("baton.io.http.allow = [\"127.0.0.0/8\"]")
          .withFallback(ConfigFactory.load()))
      .build();

  private IoContext io;
  private OpRegistry registry;
  private HttpServer server;
  private ExecutorService serverThreads;
  private final CountDownLatch stallRelease = new CountDownLatch(1);
  private final AtomicInteger requests = new AtomicInteger();

  @BeforeAll
  void start() throws Exception {
    io = new IoRuntime(testKit.system());
    registry = OpRegistry.load(getClass().getClassLoader(), testKit.system().settings().config());
    serverThreads = Executors.newCachedThreadPool();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(serverThreads);
    server.createContext("/", exchange -> {
      requests.incrementAndGet();
      respond(exchange, 404, "no such page");
    });
    server.createContext("/hello", exchange -> {
      requests.incrementAndGet();
      respond(exchange, 200, "hello, baton");
    });
    server.createContext("/redirect", exchange -> redirect(exchange, "/hello"));
    server.createContext("/loop", exchange -> redirect(exchange, "/loop"));
    server.createContext("/to-literal", exchange -> redirect(exchange, url("/hello")));
    server.createContext("/missing", exchange -> respond(exchange, 404, "not here"));
    server.createContext("/broken", exchange -> respond(exchange, 500, "oops"));
    server.createContext("/stall", exchange -> {
      try {
        stallRelease.await(1, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      respond(exchange, 200, "late");
    });
    server.start();
  }

  @AfterAll
  void stop() {
    stallRelease.countDown();
    if (server != null) {
      server.stop(0);
    }
    if (serverThreads != null) {
      serverThreads.shutdownNow();
    }
  }

  @Test
  void readFile_relativeKey_payloadIsTheFileBytes(@TempDir Path dir) throws Exception {
    byte[] content = new byte[100_000];
    new Random(1).nextBytes(content);
    Files.write(dir.resolve("data.bin"), content);

    byte[] payload = run(op("read-file", "", dir), "data.bin", new byte[0]);

    assertArrayEquals(content, payload);
  }

  @Test
  void readFile_missingFile_failsWithNoSuchFileReason(@TempDir Path dir) {
    Throwable failure = failure(op("read-file", "", dir), "absent.txt", new byte[0]);

    assertTrue(failure instanceof UncheckedIOException, failure.toString());
    assertEquals("no such file: " + dir.resolve("absent.txt"), failure.getMessage());
  }

  @Test
  void readFile_fileLargerThanMaxBytes_failsNamingTheLimit(@TempDir Path dir) throws Exception {
    Files.write(dir.resolve("big.bin"), new byte[11]);

    Throwable failure = failure(op("read-file", "max-bytes = 10", dir), "big.bin", new byte[0]);

    assertTrue(failure.getMessage().contains("has 11 bytes, more than max-bytes = 10"), failure.getMessage());
  }

  @Test
  void writeFile_payload_writtenUnderDirByKeyFileNameAndPassedOn(@TempDir Path dir) throws Exception {
    byte[] content = "some bytes\n".getBytes(StandardCharsets.UTF_8);

    byte[] passedOn = run(op("write-file", "dir = out/nested", dir), "/elsewhere/in/the/tree/a.txt", content);

    assertArrayEquals(content, passedOn);
    assertArrayEquals(content, Files.readAllBytes(dir.resolve("out/nested/a.txt")));
  }

  @Test
  void writeFile_urlKey_namedByLastSegment(@TempDir Path dir) throws Exception {
    run(op("write-file", "dir = out", dir), "http://example.org/files/page.html/", new byte[] {1, 2});

    assertArrayEquals(new byte[] {1, 2}, Files.readAllBytes(dir.resolve("out/page.html")));
  }

  @Test
  void writeFile_keyNamingNoFile_fails(@TempDir Path dir) {
    Throwable failure = failure(op("write-file", "dir = out", dir), "a/..", new byte[] {1});

    assertEquals("key 'a/..' names no file", failure.getMessage());
  }

  @Test
  void writeFile_dirIsAFile_rejectedWhenMade(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("taken"), "x");

    SpecException error = assertThrows(SpecException.class, () -> op("write-file", "dir = taken", dir));

    assertTrue(error.getMessage().contains("is a file, not a folder"), error.getMessage());
  }

  @Test
  void httpGet_status200_payloadIsTheBody(@TempDir Path dir) throws Exception {
    byte[] body = run(op("http-get", "", dir), url("/hello"), new byte[0]);

    assertEquals("hello, baton", new String(body, StandardCharsets.UTF_8));
  }

  @Test
  void httpGet_status404_failsWithTheStatus(@TempDir Path dir) {
    Throwable failure = failure(op("http-get", "", dir), url("/missing"), new byte[0]);

    assertEquals("HTTP 404 from " + url("/missing"), failure.getMessage());
  }

  @Test
  void httpGet_status500_failsWithTheStatus(@TempDir Path dir) {
    Throwable failure = failure(op("http-get", "", dir), url("/broken"), new byte[0]);

    assertEquals("HTTP 500 from " + url("/broken"), failure.getMessage());
  }

  @Test
  void httpGet_serverSlowerThanTimeout_failsWithTimeoutNamingTheAddress(@TempDir Path dir) {
    Throwable failure = failure(op("http-get", "timeout = 200ms", dir), url("/stall"), new byte[0]);

    assertEquals("no answer from " + address() + " within 200 ms (timeout)", failure.getMessage());
  }

  @Test
  void httpGet_closedPort_failsWithConnectionRefusedNamingTheAddress(@TempDir Path dir) throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = socket.getLocalPort();
    }

    Throwable failure = failure(op("http-get", "", dir), "http://127.0.0.1:" + closed + "/x", new byte[0]);

    String reason = String.valueOf(failure.getMessage());
    assertTrue(reason.contains("connection refused"), reason);
    assertTrue(reason.contains("127.0.0.1:" + closed), reason);
  }

  @Test
  void httpGet_redirect_followedToTheBody(@TempDir Path dir) throws Exception {
    byte[] body = run(op("http-get", "", dir), url("/redirect"), new byte[0]);

    assertEquals("hello, baton", new String(body, StandardCharsets.UTF_8));
  }

  @Test
  void httpGet_moreRedirectsThanMaxRedirects_fails(@TempDir Path dir) {
    Throwable failure = failure(op("http-get", "max-redirects = 3", dir), url("/loop"), new byte[0]);

    assertEquals("more than max-redirects = 3 redirects from " + url("/loop"), failure.getMessage());
  }

  @Test
  void httpGet_loopbackWithoutAllowList_refusedBeforeAnyRequest(@TempDir Path dir) {
    int before = requests.get();

    Throwable failure = withAllowList("[]", io -> failure(op("http-get", "", dir), url("/hello"), new byte[0], io));

    assertEquals("refused " + address() + ": loopback addresses need baton.io.http.allow (see README Limits)",
        failure.getMessage());
    assertEquals(before, requests.get(), "the refused request reached the server");
  }

  @Test
  void httpGet_hostPatternInAllowList_allowsTheNameButNotTheAddressItHides(@TempDir Path dir) throws Exception {
    int port = server.getAddress().getPort();
    withAllowList("[\"localhost\"]", io -> {
      byte[] body = run(op("http-get", "", dir), "http://localhost:" + port + "/hello", new byte[0], io);
      assertEquals("hello, baton", new String(body, StandardCharsets.UTF_8));

      Throwable literal = failure(op("http-get", "", dir), url("/hello"), new byte[0], io);
      assertTrue(literal.getMessage().startsWith("refused " + address() + ": loopback"), literal.getMessage());
      assertTrue(literal.getMessage().contains("baton.io.http.allow"), literal.getMessage());
      return null;
    });
  }

  @Test
  void httpGet_redirectToAnAddressTheAllowListRefuses_refusedBeforeTheSecondRequest(@TempDir Path dir) {
    int port = server.getAddress().getPort();
    int before = requests.get();

    Throwable failure = withAllowList("[\"localhost\"]",
        io -> failure(op("http-get", "", dir), "http://localhost:" + port + "/to-literal", new byte[0], io));

    assertTrue(failure.getMessage().startsWith("refused " + address() + ": loopback"), failure.getMessage());
    assertTrue(failure.getMessage().contains("baton.io.http.allow"), failure.getMessage());
    assertEquals(before, requests.get(), "the redirect was followed to the refused address");
  }

  @Test
  void httpGet_notAnHttpUrl_fails(@TempDir Path dir) {
    Throwable failure = failure(op("http-get", "", dir), "ftp://example.org/file", new byte[0]);

    assertEquals("not an http or https URL: ftp://example.org/file", failure.getMessage());
  }

  @Test
  void delay_millis_completesNoEarlierWithThePayloadUnchanged(@TempDir Path dir) throws Exception {
    byte[] payload = {4, 5, 6};
    long start = System.nanoTime();

    CompletableFuture<byte[]> delayed = op("delay", "millis = 300", dir).apply("k", payload, io)
        .toCompletableFuture();

    assertFalse(delayed.isDone(), "delay completed at once");
    assertArrayEquals(payload, delayed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300), "completed before 300 ms");
  }

  @Test
  void delay_zero_completesWithThePayload(@TempDir Path dir) throws Exception {
    assertArrayEquals(new byte[] {7}, run(op("delay", "millis = 0", dir), "k", new byte[] {7}));
  }

  @Test
  void delay_negativeOrTextMillis_rejected(@TempDir Path dir) {
    SpecException negative = assertThrows(SpecException.class, () -> op("delay", "millis = -1", dir));
    SpecException text = assertThrows(SpecException.class, () -> op("delay", "millis = soon", dir));

    assertTrue(negative.getMessage().contains("millis must be between 0 and 86400000, got -1"),
        negative.getMessage());
    assertTrue(text.getMessage().contains("op delay: millis"), text.getMessage());
  }

  private IoOp op(String name, String params, Path baseDir) {
    Config stage = ConfigFactory.parseString(params);
    return (IoOp) registry.create(registry.find(name).orElseThrow(), stage, baseDir,
        IoRoots.from(ConfigFactory.load()), stage.origin());
  }

  private byte[] run(IoOp op, String key, byte[] payload) throws Exception {
    return run(op, key, payload, io);
  }

  private static byte[] run(IoOp op, String key, byte[] payload, IoContext io) throws Exception {
    return op.apply(key, payload, io).toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private Throwable failure(IoOp op, String key, byte[] payload) {
    return failure(op, key, payload, io);
  }

  private static Throwable failure(IoOp op, String key, byte[] payload, IoContext io) {
    ExecutionException error = assertThrows(ExecutionException.class,
        () -> op.apply(key, payload, io).toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    return error.getCause();
  }

  private interface WithIo<T> {
    T apply(IoContext io) throws Exception;
  }

  /** Runs {@code body} with the io runtime of an actor system whose baton.io.http.allow is {@code allow}. */
  private <T> T withAllowList(String allow, WithIo<T> body) {
    ActorTestKit other = ActorTestKit.create("io-allow", ConfigFactory.parseString("baton.io.http.allow = " + allow)
        .withFallback(testKit.system().settings().config()));
    try {
      return body.apply(new IoRuntime(other.system()));
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      other.shutdownTestKit();
    }
  }

  private String url(String path) {
    return "http://" + address() + path;
  }

  private String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  private static void redirect(com.sun.net.httpserver.HttpExchange exchange, String location)
      throws java.io.IOException {
    exchange.getResponseHeaders().set("Location", location);
    respond(exchange, 302, "see " + location);
  }

  private static void respond(com.sun.net.httpserver.HttpExchange exchange, int status, String body)
      throws java.io.IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
