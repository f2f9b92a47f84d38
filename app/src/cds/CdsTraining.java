import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The build's training run for the coordinator's and the node's class-data archives (app/pom.xml, README
 * "Performance"): starts {@code baton coordinator} and {@code baton node} on free loopback ports, each with
 * {@code -XX:ArchiveClassesAtExit}, runs a job through the HTTP API to a node (so the archives hold the classes of a
 * job's data path, not only of start-up), and stops both with SIGTERM, at which they write their archives. Run as a
 * source file by the JDK that builds: {@code java CdsTraining.java JAVA JAR LOGBACK_XML TARGET_DIR WORK_DIR}.
 * Exits 0 with both archives written, 1 otherwise; the build goes on either way (the launcher then uses the
 * archive of {@code baton run}).
 */
public final class CdsTraining {

  private static final Duration WAIT = Duration.ofSeconds(180);
  private static final List<Process> STARTED = new ArrayList<>();

  public static void main(String[] args) throws Exception {
    String java = args[0];
    String jar = args[1];
    String logback = args[2];
    File target = new File(args[3]);
    File work = new File(args[4]);
    int port = freePort();
    int httpPort = freePort();
    String api = "http://127.0.0.1:" + httpPort + "/api";
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    int exit = 1;
    // A build stopped meanwhile (Ctrl-C) leaves no coordinator or node behind.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> STARTED.forEach(Process::destroyForcibly)));
    try {
      Process coordinator = start(java, jar, logback, new File(target, "baton-coordinator.jsa"), work, "coordinator",
          "coordinator", "--port", "" + port, "--http-port", "" + httpPort, "--data-dir",
          new File(work, "data").getPath(), "--log-dir", new File(work, "logs").getPath());
      await(() -> get(http, api + "/health"), body -> body != null, "the coordinator's API");
      Process node = start(java, jar, logback, new File(target, "baton-node.jsa"), work, "node",
          "node", "--seed", "127.0.0.1:" + port, "--log-dir", new File(work, "logs").getPath());
      await(() -> get(http, api + "/nodes"), body -> body != null && body.matches("(?s).*\"workers\"\\s*:\\s*[1-9].*"),
          "a node pulling work");
      // Two jobs: a large one (batches grow, every worker and the node's codec busy) and one writing an output.
      String output = new File(work, "out/train.tsv").getAbsolutePath().replace("\\", "/");
      runJob(http, api, "input.range { from = 1, to = 50000 }\nstages = [ { op = sha256 } ]\n");
      runJob(http, api, "input.range { from = 1, to = 2000 }\nstages = [ { op = sha256 } ]\noutput = \""
          + output + "\"\n");
      get(http, api + "/jobs");
      boolean stopped = stop(node) & stop(coordinator);
      exit = stopped && new File(target, "baton-coordinator.jsa").isFile()
          && new File(target, "baton-node.jsa").isFile() ? 0 : 1;
    } catch (RuntimeException | IOException e) {
      System.out.println("training failed: " + e.getMessage());
    } finally {
      for (Process p : STARTED) {
        p.destroyForcibly();
      }
    }
    if (exit != 0) {
      // A process killed while it wrote its archive may leave half of one; the launcher then uses baton.jsa.
      new File(target, "baton-coordinator.jsa").delete();
      new File(target, "baton-node.jsa").delete();
    }
    System.exit(exit);
  }

  private static Process start(String java, String jar, String logback, File archive, File work, String log,
      String... command) throws IOException {
    List<String> line = new ArrayList<>(List.of(java, "-XX:ArchiveClassesAtExit=" + archive.getPath(),
        "-Dlogback.configurationFile=" + logback, "-jar", jar));
    line.addAll(List.of(command));
    Process p = new ProcessBuilder(line).directory(work).redirectErrorStream(true)
        .redirectOutput(new File(work, log + ".out")).start();
    STARTED.add(p);
    return p;
  }

  private static void runJob(HttpClient http, String api, String spec) throws IOException {
    String answer = send(http, HttpRequest.newBuilder(URI.create(api + "/jobs?name=train.conf"))
        .POST(HttpRequest.BodyPublishers.ofString(spec)));
    Matcher id = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(answer == null ? "" : answer);
    if (!id.find()) {
      throw new IOException("the coordinator did not take the training job: " + answer);
    }
    await(() -> get(http, api + "/jobs/" + id.group(1)),
        body -> body != null && body.matches("(?s).*\"state\"\\s*:\\s*\"(SUCCEEDED|FAILED|CANCELLED)\".*"),
        "the training job");
  }

  private static String get(HttpClient http, String url) {
    try {
      return send(http, HttpRequest.newBuilder(URI.create(url)).GET());
    } catch (IOException e) {
      return null;
    }
  }

  private static String send(HttpClient http, HttpRequest.Builder request) throws IOException {
    try {
      HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      return response.statusCode() / 100 == 2 ? response.body() : null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  interface Poll {
    String get();
  }

  private static void await(Poll poll, Predicate<String> done, String what) throws IOException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (done.test(poll.get())) {
        return;
      }
      for (Process p : STARTED) {
        if (!p.isAlive()) {
          throw new IOException("a trained process ended (exit " + p.exitValue() + ") while waiting for " + what);
        }
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
    }
    throw new IOException("timed out waiting for " + what);
  }

  /** SIGTERM, then wait: the JVM writes its archive while it exits. */
  private static boolean stop(Process p) {
    p.destroy();
    try {
      return p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return socket.getLocalPort();
    }
  }
}
