package baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Baton as a cluster on this machine: {@code baton coordinator --data-dir} and one or more {@code baton node}
 * processes from the shaded jar, on free loopback ports, each with a 256 MB heap; the cpu workers are in the node
 * processes only, so every batch crosses a process boundary. Jobs go in through the HTTP API. The peak heap
 * is the coordinator's (it runs the job's stream), read from its GC log. Every process it started is killed by pid
 * when it is closed, and by a shutdown hook if the bench is interrupted.
 */
final class ClusterContender implements Contender {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration STARTUP = Duration.ofSeconds(120);
  private static final long POLL_MILLIS = 10;
  // -Xlog:gc:file=...:time lines: "[2025-01-01T10:00:00.123+0000] GC(3) Pause Young ... 24M->5M(256M) 3.1ms"
  private static final Pattern GC_LINE = Pattern.compile("^\\[([^\\]]+)\\].*?(\\d+)M->(\\d+)M\\(\\d+M\\)");
  private static final DateTimeFormatter GC_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");

  private final Path jar;
  private final Path dir;
  private final int nodes;
  private final int workersPerNode;
  private final List<Process> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private final Thread killOnExit = new Thread(this::kill, "kill-bench-cluster");
  private Path gcLog;
  private int httpPort;

  /** A coordinator and {@code nodes} nodes with {@code workersPerNode} workers each; logs and journal in dir. */
  ClusterContender(Path jar, Path dir, int nodes, int workersPerNode) {
    this.jar = jar;
    this.dir = dir;
    this.nodes = nodes;
    this.workersPerNode = workersPerNode;
  }

  @Override
  public String name() {
    return nodes == 1 ? "baton 1 node" : "baton " + nodes + " nodes";
  }

  /** The cluster's HTTP API for the many-jobs workload, submitting {@code job}; starts the cluster if need be. */
  JobApi jobApi(Workload job) throws Exception {
    if (started.isEmpty()) {
      start();
    }
    return new HttpJobApi(api("/"), http, job);
  }

  @Override
  public Run run(Workload workload) throws Exception {
    if (started.isEmpty()) {
      start();
    }
    Optional<Path> output = workload.smallHeap() ? Optional.of(dir.resolve(workload.name() + "-nodes.tsv"))
        : Optional.empty();
    Instant from = Instant.now();
    long start = System.nanoTime();
    HttpResponse<String> submitted = http.send(HttpRequest.newBuilder(api("/api/jobs"))
        .POST(HttpRequest.BodyPublishers.ofString(workload.spec(output), StandardCharsets.UTF_8)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (submitted.statusCode() != 201) {
      throw new IllegalStateException("the coordinator did not take the " + workload.name() + " spec: "
          + submitted.statusCode() + " " + submitted.body());
    }
    String id = JSON.readTree(submitted.body()).get("id").asText();
    JsonNode status;
    while (true) {
      status = JSON.readTree(http.send(HttpRequest.newBuilder(api("/api/jobs/" + id)).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      String state = status.get("state").asText();
      if (state.equals("SUCCEEDED") || state.equals("FAILED") || state.equals("CANCELLED")) {
        break;
      }
      checkAlive();
      TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
    }
    long nanos = System.nanoTime() - start;
    long succeeded = status.get("items").get("succeeded").asLong();
    if (!status.get("state").asText().equals("SUCCEEDED") || succeeded != workload.items()) {
      throw new IllegalStateException("the cluster's " + workload.name() + " job ended " + status.get("state")
          + " with " + succeeded + " of " + workload.items() + " items: " + status.get("error"));
    }
    String note = "";
    if (output.isPresent()) {
      long lines = EmbeddedContender.countLines(output.get());
      if (lines != workload.items()) {
        throw new IllegalStateException("the cluster's output has " + lines + " lines, not " + workload.items());
      }
      note = "heap " + Workload.BIG_HEAP_MB + " MB each; output " + lines + " lines";
      Files.deleteIfExists(output.get());
    }
    return new Run(workload.items(), nanos, peakHeap(from, Instant.now()), note);
  }

  private void start() throws Exception {
    Runtime.getRuntime().addShutdownHook(killOnExit);
    Files.createDirectories(dir);
    Path logs = dir.resolve("cluster-logs");
    int clusterPort = freePort();
    httpPort = freePort();
    gcLog = dir.resolve("coordinator-gc.log");
    String seed = "127.0.0.1:" + clusterPort;
    launch("coordinator", List.of("-Xlog:gc:file=" + gcLog + ":time"), "coordinator", "--port",
        Integer.toString(clusterPort), "--http-port", Integer.toString(httpPort), "--log-dir", logs.toString(),
        "--data-dir", dir.resolve("cluster-data").toString());
    for (int node = 0; node < nodes; node++) {
      launch("node-" + (char) ('a' + node), List.of(), "node", "--seed", seed, "--workers",
          Integer.toString(workersPerNode), "--log-dir", logs.toString());
    }
    Instant deadline = Instant.now().plus(STARTUP);
    while (nodesPulling() < nodes) {
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("the nodes did not join in " + STARTUP + "; see " + logs);
      }
      checkAlive();
      TimeUnit.MILLISECONDS.sleep(200);
    }
  }

  private void launch(String name, List<String> jvmOptions, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + Workload.BIG_HEAP_MB + "m");
    // The installation's settings, as bin/baton passes them.
    for (String property : List.of("config.file", "logback.configurationFile")) {
      String value = System.getProperty(property);
      if (value != null) {
        command.add("-D" + property + "=" + value);
      }
    }
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".out").toFile())
        .start();
    started.add(process);
  }

  private int nodesPulling() {
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(api("/api/nodes"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        return 0;
      }
      int count = 0;
      for (JsonNode member : JSON.readTree(response.body())) {
        if (member.get("workers").asInt() > 0) {
          count++;
        }
      }
      return count;
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  private void checkAlive() {
    for (Process process : started) {
      if (!process.isAlive()) {
        throw new IllegalStateException("a Baton process died (exit " + process.exitValue() + "); see " + dir);
      }
    }
  }

  private URI api(String path) {
    return URI.create("http://127.0.0.1:" + httpPort + path);
  }

  /** The most heap the coordinator had in use when a collection started, between two instants; -1 if none ran. */
  private long peakHeap(Instant from, Instant to) throws IOException {
    if (gcLog == null || !Files.exists(gcLog)) {
      return -1;
    }
    long peakMb = -1;
    for (String line : Files.readAllLines(gcLog, StandardCharsets.UTF_8)) {
      Matcher matcher = GC_LINE.matcher(line);
      if (!matcher.find()) {
        continue;
      }
      Instant at;
      try {
        at = OffsetDateTime.parse(matcher.group(1), GC_TIME).toInstant();
      } catch (RuntimeException e) {
        continue;
      }
      if (!at.isBefore(from) && !at.isAfter(to)) {
        peakMb = Math.max(peakMb, Long.parseLong(matcher.group(2)));
      }
    }
    return peakMb < 0 ? -1 : peakMb << 20;
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private void kill() {
    for (Process process : started) {
      ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroy);
    }
    for (Process process : started) {
      try {
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
          process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
        Thread.currentThread().interrupt();
      }
    }
    started.clear();
  }

  @Override
  public void close() {
    kill();
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException e) {
      // The JVM is shutting down already; the hook does the same.
    }
  }
}
