package baton.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import baton.app.cli.Cli;
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
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Starts Baton processes from the shaded jar on free loopback ports and stops every one of them, by pid, when
 * closed, whether the test passed or not.
 */
final class BatonProcesses implements AutoCloseable {

  // Ports for the processes come from here up to the kernel's ephemeral range (see freePort).
  private static final int LOWEST_PORT = 20000;
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private final Path jar;
  private final Path workDir;
  private final List<Process> started = new ArrayList<>();
  private final Map<Process, Path> outputs = new HashMap<>();
  private final HttpClient http = HttpClient.newHttpClient();

  BatonProcesses(Path workDir) {
    String jarPath = System.getProperty("baton.jar", "target/baton.jar");
    this.jar = Path.of(jarPath).toAbsolutePath();
    this.workDir = workDir;
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no Baton jar at " + jar + "; run `mvn verify`, which builds it first");
    }
  }

  /**
   * A free loopback port that this JVM has not handed out before, below the kernel's ephemeral range: a port from
   * that range (what a bind to port 0 gives) may be taken by an outgoing connection's local end between the test
   * choosing it and the process binding it, and the process then fails to start.
   */
  static int freePort() throws IOException {
    int below = ephemeralRangeStart();
    int from = Math.min(LOWEST_PORT, below / 2);
    for (int attempt = 0; attempt < 1000; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(from, below);
      if (HANDED_OUT.add(port) && bindable(port)) {
        return port;
      }
    }
    throw new IOException("no free loopback port between " + from + " and " + below);
  }

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  /** The first port of the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range), 32768 if unknown. */
  static int ephemeralRangeStart() throws IOException {
    Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    if (!Files.isReadable(range)) {
      return 32768;
    }
    // Files.readString reads one byte of a /proc file on JDK 17; readAllLines reads it whole.
    return Integer.parseInt(Files.readAllLines(range).get(0).strip().split("\\s+")[0]);
  }

  Process start(String name, String... args) throws IOException {
    return start(name, List.of(), List.of(), args);
  }

  /** Starts a process with these JVM options before {@code -jar}. */
  Process startWith(String name, List<String> jvmOptions, String... args) throws IOException {
    return start(name, List.of(), jvmOptions, args);
  }

  /**
   * Starts a process that a SIGINT reaches. A process started in the background by a non-interactive shell (as a
   * build may be) ignores SIGINT, and its children inherit that; {@code env --default-signal} undoes it.
   */
  Process startInterruptible(String name, List<String> jvmOptions, String... args) throws IOException {
    return start(name, ignoresSigint() ? List.of("env", "--default-signal=INT") : List.of(), jvmOptions, args);
  }

  private Process start(String name, List<String> prefix, List<String> jvmOptions, String... args)
      throws IOException {
    List<String> command = new ArrayList<>(prefix);
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command)
        .directory(workDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(workDir.resolve(name + ".out").toFile())
        .start();
    started.add(process);
    outputs.put(process, workDir.resolve(name + ".out"));
    return process;
  }

  /** Sends a signal (INT, TERM) to a process by pid, as Ctrl-C or a supervisor would. */
  static void signal(Process process, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new AssertionError("kill -" + signal + " " + process.pid() + " failed");
    }
  }

  /** Whether this JVM (and so each child it starts) ignores SIGINT, from the SigIgn mask in /proc/self/status. */
  static boolean ignoresSigint() throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.isReadable(status)) {
      return false;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("SigIgn:")) {
        return (Long.parseLong(line.substring("SigIgn:".length()).strip(), 16) & (1L << (2 - 1))) != 0;
      }
    }
    return false;
  }

  /** Kills a process at once by pid, as a crash would, and waits until it is gone; it is not watched any more. */
  void kill(Process process) throws InterruptedException {
    started.remove(process);
    ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      throw new AssertionError("process " + process.pid() + " did not die from SIGKILL");
    }
  }

  /**
   * Sends a signal (TERM, INT) to a process by pid, as a user's Ctrl-C or a service manager would, and waits until
   * it has exited; it is not watched any more. Returns its exit code.
   */
  int signal(Process process, String signal, Duration patience) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
    assertEquals(0, kill.waitFor(), "kill -" + signal + " " + process.pid());
    if (!process.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("process " + process.pid() + " did not exit within " + patience + " of SIG" + signal);
    }
    started.remove(process);
    return process.exitValue();
  }

  /** Reads a file until its text passes the check, or fails at the deadline. */
  String awaitFile(Path file, Predicate<String> check, Duration patience) throws Exception {
    Instant deadline = Instant.now().plus(patience);
    String last = "(no file)";
    while (Instant.now().isBefore(deadline)) {
      if (Files.isRegularFile(file)) {
        last = Files.readString(file);
        if (check.test(last)) {
          return last;
        }
      }
      TimeUnit.MILLISECONDS.sleep(200); // polling interval of an await with a deadline, not a wait for an event
    }
    throw new AssertionError(file + " did not pass in " + patience + "; it holds: " + last);
  }

  /** GETs a path of the coordinator's API; the body on 200, else empty. */
  java.util.Optional<String> get(int httpPort, String path) {
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + httpPort + path)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? java.util.Optional.of(response.body()) : java.util.Optional.empty();
    } catch (IOException e) {
      return java.util.Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.Optional.empty();
    }
  }

  /** GETs a path of the coordinator's API until the body passes the check, or fails at the deadline. */
  String awaitApi(int httpPort, String path, Predicate<String> check, Duration patience) throws Exception {
    Instant deadline = Instant.now().plus(patience);
    String last = "(no answer)";
    while (Instant.now().isBefore(deadline)) {
      try {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + httpPort + path)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        last = response.statusCode() + " " + response.body();
        if (response.statusCode() == 200 && check.test(response.body())) {
          return response.body();
        }
      } catch (IOException e) {
        last = e.toString();
      }
      for (Process process : started) {
        if (!process.isAlive()) {
          throw new AssertionError("a Baton process died (exit " + process.exitValue() + "); see " + workDir
              + "; it said: " + lastLines(process));
        }
      }
      TimeUnit.MILLISECONDS.sleep(200); // polling interval of an await with a deadline, not a wait for an event
    }
    throw new AssertionError("the coordinator's " + path + " did not pass in " + patience + "; last answer: " + last);
  }

  /** The last lines a process printed, for a failure's message. */
  private String lastLines(Process process) {
    try {
      List<String> lines = Files.readAllLines(outputs.get(process));
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no output: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (Process process : started) {
      ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroy);
    }
    for (Process process : started) {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** Runs a CLI command in this JVM, as a user would in a shell, and captures what it prints. */
  static Cli.Run cli(String... args) {
    return Cli.run(args);
  }

  /** What {@code sha256 { rounds }} makes of a payload, computed with the JDK: each round hashes the last's hex. */
  static String sha256Rounds(byte[] payload, int rounds) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    byte[] text = payload;
    for (int i = 0; i < rounds; i++) {
      text = HexFormat.of().formatHex(digest.digest(text)).getBytes(StandardCharsets.US_ASCII);
    }
    return new String(text, StandardCharsets.US_ASCII);
  }

  static String sha256Rounds(String key, int rounds) throws Exception {
    return sha256Rounds(key.getBytes(StandardCharsets.UTF_8), rounds);
  }

  /** A job's output file as key to value, failing when a key is written twice. */
  static Map<String, String> readOutput(Path file) throws IOException {
    Map<String, String> output = new HashMap<>();
    for (String line : Files.readAllLines(file)) {
      String[] parts = line.split("\t", 2);
      assertNull(output.put(parts[0], parts[1]), "item " + parts[0] + " written twice");
    }
    return output;
  }

  /** Checks that the output of a range 1..items through sha256 has each item once, with the JDK's digest. */
  static void assertSha256Output(Path file, int items, int rounds) throws Exception {
    Map<String, String> output = readOutput(file);
    assertEquals(items, output.size());
    for (int n = 1; n <= items; n++) {
      assertEquals(sha256Rounds(Integer.toString(n), rounds), output.get(Integer.toString(n)), "item " + n);
    }
  }
}
