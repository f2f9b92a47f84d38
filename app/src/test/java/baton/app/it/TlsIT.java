package baton.app.it;

import static baton.app.it.BatonProcesses.assertSha256Output;
import static baton.app.it.BatonProcesses.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.app.cli.Cli.Run;
import baton.coordinator.ItemCounts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster with mutual TLS as real processes on loopback: a coordinator and a node with certificates from the
 * cluster's CA, and three that must stay out: an intruder that trusts the cluster's CA but shows a certificate of
 * another CA, a member of another cluster (another CA altogether), and a node without TLS.
 */
final class TlsIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path dir;

  static BatonProcesses processes;
  static Process coordinator;
  static String url;
  static Path coordinatorLog;
  static String good;
  static List<Integer> refusedPorts = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    processes = new BatonProcesses(dir);
    Path ca = dir.resolve("ca");
    assertEquals(0, cli("certs", "init", ca.toString()).code());
    for (String member : List.of("coordinator", "node-good")) {
      Run issue = cli("certs", "issue", ca.toString(), member, "--out", dir.resolve(member).toString());
      assertEquals(0, issue.code(), issue.toString());
    }
    // Another cluster's CA, made by the shaded jar itself: Bouncy Castle must load from it.
    Process otherCa = processes.start("other-ca", "certs", "init", dir.resolve("other-ca").toString());
    assertTrue(otherCa.waitFor(60, TimeUnit.SECONDS) && otherCa.exitValue() == 0, "certs init in the jar");
    for (String member : List.of("intruder", "foreign")) {
      Run issue = cli("certs", "issue", dir.resolve("other-ca").toString(), member, "--out",
          dir.resolve(member).toString());
      assertEquals(0, issue.code(), issue.toString());
    }
    trustTheClusterCa(dir.resolve("intruder"), dir.resolve("node-good"));

    int clusterPort = BatonProcesses.freePort();
    int httpPort = BatonProcesses.freePort();
    url = "127.0.0.1:" + httpPort;
    String seed = "127.0.0.1:" + clusterPort;
    Path logs = dir.resolve("logs");
    coordinatorLog = logs.resolve("coordinator-" + clusterPort + ".log");
    coordinator = processes.start("coordinator", "coordinator", "--port", Integer.toString(clusterPort),
        "--http-port", Integer.toString(httpPort), "--log-dir", logs.toString(), "--data-dir",
        dir.resolve("data").toString(), "--tls", dir.resolve("coordinator").toString());
    int goodPort = BatonProcesses.freePort();
    good = "pekko://baton@127.0.0.1:" + goodPort;
    processes.start("node-good", "node", "--seed", seed, "--port", Integer.toString(goodPort), "--workers", "2",
        "--log-dir", logs.toString(), "--tls", dir.resolve("node-good").toString());
    // The members that must stay out start once the cluster is up: five JVMs starting at once on a loaded machine
    // made the coordinator miss the deadline.
    awaitNodes(body -> workers(body).equals(List.of(good)), Duration.ofSeconds(120));
    for (String member : List.of("intruder", "foreign", "plain")) {
      int port = BatonProcesses.freePort();
      refusedPorts.add(port);
      List<String> args = new ArrayList<>(List.of("node", "--seed", seed, "--port", Integer.toString(port),
          "--workers", "1", "--log-dir", logs.toString()));
      if (!member.equals("plain")) {
        args.addAll(List.of("--tls", dir.resolve(member).toString()));
      }
      processes.start("node-" + member, args.toArray(String[]::new));
    }
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (processes != null) {
      processes.close();
    }
  }

  @Test
  void membersOfTheClusterCa_formAClusterOverTls_jobOutputExactOnTheGoodNodeOnly() throws Exception {
    Path spec = dir.resolve("cpu.conf");
    Files.writeString(spec, "name = cpu\ninput.range { from = 1, to = 300 }\n"
        + "stages = [ { op = sha256, rounds = 3 } ]\noutput = \"out/cpu.tsv\"\n");

    Run submit = cli("submit", spec.toString(), "--wait", "--coordinator", url, "--tls",
        dir.resolve("node-good").toString());

    assertEquals(0, submit.code(), submit.toString());
    assertSha256Output(dir.resolve("out/cpu.tsv"), 300, 3);
    Run status = cli("status", submit.out().strip(), "--json", "--coordinator", url, "--tls",
        dir.resolve("node-good").toString());
    JsonNode job = JSON.readTree(status.out());
    assertEquals("SUCCEEDED", job.get("state").asText());
    ItemCounts.assertAddUp(job);
    assertEquals(1, job.get("nodes").size(), job.get("nodes").toString());
    assertEquals(good, job.get("nodes").get(0).get("address").asText());
    assertEquals(300, job.get("nodes").get(0).get("items").asLong());
  }

  @Test
  void intruderTrustingTheClusterCaWithAnotherCasCertificate_refused_coordinatorLogSaysWhy() throws Exception {
    String log = processes.awaitFile(coordinatorLog, text -> text.contains("no certificate from this cluster's CA"),
        Duration.ofSeconds(60));

    assertTrue(log.lines().anyMatch(line -> line.contains("TLS: refused an incoming cluster connection: the peer "
        + "showed no certificate from this cluster's CA") && line.contains("issued by another CA")), log);
    assertNeverPulledWork(refusedPorts.get(0));
  }

  @Test
  void memberOfAnotherCluster_refused_bothLogsSayWhy() throws Exception {
    String log = processes.awaitFile(coordinatorLog, text -> text.contains("refused this member's certificate"),
        Duration.ofSeconds(60));
    String nodeLog = processes.awaitFile(dir.resolve("logs/node-" + refusedPorts.get(1) + ".log"),
        text -> text.contains("TLS: refused the connection"), Duration.ofSeconds(60));

    assertTrue(log.lines().anyMatch(line -> line.contains("TLS: an incoming cluster connection failed: the peer "
        + "refused this member's certificate")), log);
    assertTrue(nodeLog.lines().anyMatch(line -> line.contains("its certificate 'CN=coordinator,O=Baton'")
        && line.contains("not signed by this cluster's CA")), nodeLog);
    assertNeverPulledWork(refusedPorts.get(1));
  }

  @Test
  void nodeWithoutTls_refused_coordinatorLogSaysItDoesNotSpeakTls() throws Exception {
    String log = processes.awaitFile(coordinatorLog, text -> text.contains("does not speak TLS"),
        Duration.ofSeconds(60));
    String out = processes.awaitFile(dir.resolve("node-plain.out"), text -> text.contains("waiting for the "
        + "coordinator"), Duration.ofSeconds(60));

    assertTrue(log.lines().anyMatch(line -> line.contains("TLS: refused an incoming cluster connection: the peer "
        + "does not speak TLS") && line.contains("started without --tls")), log);
    assertTrue(out.contains("a coordinator started with --tls takes only nodes with --tls"), out);
    assertNeverPulledWork(refusedPorts.get(2));
  }

  @Test
  void clientCommands_httpsApi_workWithTlsAndSayWhatIsMissingWithout() throws Exception {
    Run withTls = cli("nodes", "--json", "--coordinator", url, "--tls", dir.resolve("node-good").toString());
    Run plain = cli("nodes", "--coordinator", url);
    Run untrusted = cli("nodes", "--coordinator", "https://" + url);
    Run otherCa = cli("nodes", "--coordinator", url, "--tls", dir.resolve("foreign").toString());

    assertEquals(0, withTls.code(), withTls.toString());
    assertEquals(List.of(good), workers(withTls.out()));
    assertEquals(2, plain.code(), plain.toString());
    assertTrue(plain.err().contains("it serves HTTPS when started with --tls; give --tls DIR"), plain.toString());
    assertEquals(2, untrusted.code(), untrusted.toString());
    assertTrue(untrusted.err().contains("not from a CA this client trusts"), untrusted.toString());
    assertEquals(2, otherCa.code(), otherCa.toString());
    assertTrue(otherCa.err().contains("not from the CA in the --tls folder"), otherCa.toString());
    for (Run run : List.of(plain, untrusted, otherCa)) {
      assertEquals(1, run.err().strip().lines().count(), run.toString());
      assertFalse(run.err().contains("Exception") || run.err().contains("\tat "), run.toString());
    }
  }

  /** The node at this port never joined: absent from the API, and its agent never started pulling work. */
  private static void assertNeverPulledWork(int port) throws Exception {
    Run nodes = cli("nodes", "--json", "--coordinator", url, "--tls", dir.resolve("node-good").toString());
    assertEquals(0, nodes.code(), nodes.toString());
    assertFalse(nodes.out().contains("127.0.0.1:" + port), nodes.out());
    Path log = dir.resolve("logs/node-" + port + ".log");
    assertFalse(Files.readString(log).contains("pulling work"), log.toString());
  }

  /**
   * Puts the cluster's CA in the intruder's trust store, under the intruder's own password: it then accepts the
   * coordinator, and only the coordinator's check of the intruder's certificate keeps it out.
   */
  private static void trustTheClusterCa(Path intruder, Path member) throws Exception {
    KeyStore clusterTrust = load(member.resolve("truststore.p12"), member.resolve("password"));
    char[] password = Files.readString(intruder.resolve("password")).strip().toCharArray();
    try (OutputStream out = Files.newOutputStream(intruder.resolve("truststore.p12"))) {
      clusterTrust.store(out, password);
    }
  }

  private static KeyStore load(Path store, Path passwordFile) throws Exception {
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keyStore.load(in, Files.readString(passwordFile).strip().toCharArray());
    }
    return keyStore;
  }

  /** Polls {@code baton nodes --json} over HTTPS until its answer passes, or fails at the deadline. */
  private static void awaitNodes(Predicate<String> check, Duration patience) throws Exception {
    Instant deadline = Instant.now().plus(patience);
    Run last = null;
    while (Instant.now().isBefore(deadline)) {
      last = cli("nodes", "--json", "--coordinator", url, "--tls", dir.resolve("node-good").toString());
      if (last.code() == 0 && check.test(last.out())) {
        return;
      }
      if (!coordinator.isAlive()) {
        break;
      }
      TimeUnit.MILLISECONDS.sleep(300); // polling interval of an await with a deadline, not a wait for an event
    }
    Path out = dir.resolve("coordinator.out");
    throw new AssertionError("baton nodes did not pass in " + patience + "; last: " + last + "; the coordinator "
        + (coordinator.isAlive() ? "runs" : "exited " + coordinator.exitValue()) + " and printed: "
        + (Files.exists(out) ? Files.readString(out) : "(nothing)"));
  }

  /** The members with workers in a {@code nodes --json} answer. */
  private static List<String> workers(String body) {
    List<String> addresses = new ArrayList<>();
    try {
      for (JsonNode member : JSON.readTree(body)) {
        if (member.path("workers").asInt() > 0) {
          addresses.add(member.path("address").asText());
        }
      }
    } catch (Exception e) {
      return List.of();
    }
    return addresses;
  }
}
