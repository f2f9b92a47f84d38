package baton.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.Json;
import baton.protocol.op.OpRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.lang.ref.WeakReference;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Code sent with a job: POST /api/code, then POST /api/jobs?code=HASH, and what becomes of its class loader. */
final class HttpApiCodeTest {

  @TempDir
  Path dir;

  @Test
  void uploadCode_beyondLoopbackWithoutToken_403WithOneClearMessage() throws Exception {
    try (ApiServer api = new ApiServer(Map.of(), dir, false, bundle -> { })) {
      HttpResponse<String> upload = api.send(api.request("/api/code")
          .POST(HttpRequest.BodyPublishers.ofByteArray(jar(Map.of("a.txt", "a")))));
      HttpResponse<String> submit = api.send(api.request("/api/jobs?code=" + "0".repeat(64))
          .POST(HttpRequest.BodyPublishers.ofString("name = x")));

      assertEquals(403, upload.statusCode(), upload.body());
      assertTrue(error(upload).contains("beyond loopback without a token"), upload.body());
      assertEquals(403, submit.statusCode(), submit.body());
      assertEquals(error(upload), error(submit));
    }
  }

  @Test
  void uploadCode_beyondLoopbackWithToken_keptOncePerHash() throws Exception {
    try (ApiServer api = new ApiServer(Map.of("baton.http.token", "secret"), dir, false, bundle -> { })) {
      byte[] bundle = jar(Map.of("a.txt", "a"));
      HttpResponse<String> first = api.send(api.request("/api/code").header("Authorization", "Bearer secret")
          .POST(HttpRequest.BodyPublishers.ofByteArray(bundle)));
      HttpResponse<String> again = api.send(api.request("/api/code").header("Authorization", "Bearer secret")
          .POST(HttpRequest.BodyPublishers.ofByteArray(bundle)));

      assertEquals(201, first.statusCode(), first.body());
      String hash = Json.mapper().readTree(first.body()).get("hash").asText();
      assertEquals(64, hash.length(), first.body());
      assertEquals(first.body(), again.body());
    }
  }

  @Test
  void uploadCode_overTheLimit_413NamingTheSetting() throws Exception {
    try (ApiServer api = new ApiServer(Map.of("baton.http.max-code-bytes", "1KiB"), dir, true, bundle -> { })) {
      HttpResponse<String> upload = api.send(api.request("/api/code")
          .POST(HttpRequest.BodyPublishers.ofByteArray(jar(Map.of("big.txt", noise(4096))))));

      assertEquals(413, upload.statusCode(), upload.body());
      assertTrue(error(upload).contains("baton.http.max-code-bytes"), upload.body());
    }
  }

  @Test
  void submitWithCode_jobEnds_itsClassLoaderIsCollected() throws Exception {
    List<WeakReference<ClassLoader>> loaders = new CopyOnWriteArrayList<>();
    byte[] bundle = compiledIoOp();
    try (ApiServer api = new ApiServer(Map.of(), dir, true,
        registry -> loaders.add(new WeakReference<>(registry.loader())))) {
      HttpResponse<String> upload = api.send(api.request("/api/code")
          .POST(HttpRequest.BodyPublishers.ofByteArray(bundle)));
      assertEquals(201, upload.statusCode(), upload.body());
      String hash = Json.mapper().readTree(upload.body()).get("hash").asText();
      String spec = "name = shipped\ninput.range { from = 1, to = 50 }\nstages = [ { op = shout } ]\n"
          + "output = \"out.tsv\"\n";

      HttpResponse<String> submitted = api.send(api.request("/api/jobs?name=spec.conf&code=" + hash + "&dir="
          + URLEncoder.encode(dir.toString(), StandardCharsets.UTF_8))
          .POST(HttpRequest.BodyPublishers.ofString(spec)));

      assertEquals(201, submitted.statusCode(), submitted.body());
      String id = Json.mapper().readTree(submitted.body()).get("id").asText();
      awaitState(api, id, "SUCCEEDED");
      assertEquals("1\tloud:1", Files.readAllLines(dir.resolve("out.tsv")).stream().sorted().findFirst().orElse(""));
      assertTrue(!loaders.isEmpty(), "the job's spec was read with the bundle's registry");
      Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
      while (loaders.stream().anyMatch(ref -> ref.get() != null) && Instant.now().isBefore(deadline)) {
        System.gc();
        TimeUnit.MILLISECONDS.sleep(100); // polling interval of an await with a deadline
      }
      for (WeakReference<ClassLoader> loader : loaders) {
        assertNull(loader.get(), "the ended job's class loader is still referenced");
      }
    }
  }

  @Test
  void submitWithCode_unknownHash_400() throws Exception {
    try (ApiServer api = new ApiServer(Map.of(), dir, true, bundle -> { })) {
      HttpResponse<String> submit = api.send(api.request("/api/jobs?code=" + "0".repeat(64))
          .POST(HttpRequest.BodyPublishers.ofString("name = x\ninput.range { from = 1, to = 2 }\nstages = []\n")));

      assertEquals(400, submit.statusCode(), submit.body());
      assertTrue(error(submit).contains("no code bundle"), submit.body());
    }
  }

  private static void awaitState(ApiServer api, String id, String state) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    String last = "";
    while (Instant.now().isBefore(deadline)) {
      last = api.get("/api/jobs/" + id).body();
      if (last.contains("\"" + state + "\"")) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(100); // polling interval of an await with a deadline
    }
    throw new AssertionError("job " + id + " did not reach " + state + ": " + last);
  }

  private static String error(HttpResponse<String> response) throws Exception {
    JsonNode error = Json.mapper().readTree(response.body()).get("error");
    assertNotNull(error, response.body());
    return error.asText();
  }

  /** Text that does not compress. */
  private static String noise(int length) {
    java.util.Random random = new java.util.Random(1);
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      text.append((char) ('!' + random.nextInt(90)));
    }
    return text.toString();
  }

  private static byte[] jar(Map<String, String> files) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, String> file : files.entrySet()) {
        zip.putNextEntry(new ZipEntry(file.getKey()));
        zip.write(file.getValue().getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  /** A jar with the io op {@code shout} (payload becomes {@code loud:key}), compiled here. */
  private byte[] compiledIoOp() throws Exception {
    Path src = Files.createDirectories(dir.resolve("src/test/shout"));
    Path classes = Files.createDirectories(dir.resolve("classes"));
    Files.writeString(src.resolve("ShoutOp.java"), """
        package test.shout;

        import baton.protocol.op.IoOp;
        import baton.protocol.op.Op;
        import baton.protocol.op.OpKind;
        import baton.protocol.op.OpParams;
        import baton.protocol.op.OpProvider;
        import java.nio.charset.StandardCharsets;
        import java.util.Set;
        import java.util.concurrent.CompletableFuture;

        public final class ShoutOp implements OpProvider {
          public String name() { return "shout"; }
          public OpKind kind() { return OpKind.IO; }
          public Set<String> parameters() { return Set.of(); }
          public Op create(OpParams params) {
            return (IoOp) (key, payload, context) ->
                CompletableFuture.completedFuture(("loud:" + key).getBytes(StandardCharsets.UTF_8));
          }
        }
        """);
    assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(),
        "-cp", System.getProperty("java.class.path"), src.resolve("ShoutOp.java").toString()));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes); Stream<Path> files = Files.walk(classes)) {
      for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        zip.putNextEntry(new ZipEntry(classes.relativize(file).toString()));
        zip.write(Files.readAllBytes(file));
        zip.closeEntry();
      }
      zip.putNextEntry(new ZipEntry("META-INF/services/baton.protocol.op.OpProvider"));
      zip.write("test.shout.ShoutOp\n".getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
    }
    return bytes.toByteArray();
  }
}
