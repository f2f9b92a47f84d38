package baton.app.it;

import static baton.app.it.BatonProcesses.assertSha256Output;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.ItemCounts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator and two nodes on three test hosts of their own (network namespaces on a private subnet, see
 * {@link TestHosts}), each bound to its host's address and run from the unpacked distribution archive: a job ends
 * with an exact output, and a node whose link is cut mid-job costs nothing: its batches go to the other node, every
 * item is written once, and once its link is back the node joins again.
 */
final class MultiHostIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "multi-host-test-token";
  private static final Duration POLL = Duration.ofMillis(200);

  @TempDir
  Path dir;

  @Test
  void threeHosts_linkCutMidJob_everyItemOnceAndTheNodeRejoins() throws Exception {
    Path home = DistArchive.unpack(dir);
    List<Process> started = new ArrayList<>();
    try (TestHosts hosts = TestHosts.create("10.213.0", List.of("coord", "node1", "node2"))) {
      try {
        String coord = hosts.address("coord");
        String baton = home.resolve("bin/baton").toString();
        String logs = dir.resolve("logs").toString();
        started.add(start(hosts.in("coord", List.of(baton, "coordinator", "--host", coord, "--port", "2551",
            "--http-port", "8551", "--data-dir", dir.resolve("data").toString(), "--log-dir", logs)), "coordinator"));
        for (String node : List.of("node1", "node2")) {
          started.add(start(hosts.in(node, List.of(baton, "node", "--host", hosts.address(node), "--port", "2552",
              "--seed", coord + ":2551", "--workers", "1", "--log-dir", dir.resolve("logs-" + node).toString())),
              node));
        }
        Client client = new Client(hosts, baton, "http://" + coord + ":8551");
        String node1 = hosts.address("node1") + ":2552";
        String node2 = hosts.address("node2") + ":2552";
        client.await("nodes", "both nodes pulling work", body -> pulling(body).containsAll(List.of(node1, node2)),
            Duration.ofSeconds(120));

        // Across the hosts: an exact output, both nodes working.
        int items = 2000;
        int rounds = 20;
        Path small = dir.resolve("small.conf");
        Files.writeString(small, "name = small\ninput.range { from = 1, to = " + items + " }\n"
            + "stages = [ { op = sha256, rounds = " + rounds + " } ]\noutput = \"out/small.tsv\"\n");
        TestHosts.Result submit = client.run("submit", small.toString(), "--wait");
        assertEquals(0, submit.exit(), submit.output());
        assertSha256Output(dir.resolve("out/small.tsv"), items, rounds);

        // A link cut mid-job: every item still exactly once.
        int bigItems = 6000;
        int bigRounds = 5000;
        Path big = dir.resolve("big.conf");
        Files.writeString(big, "name = big\ninput.range { from = 1, to = " + bigItems + " }\n"
            + "stages = [ { op = sha256, rounds = " + bigRounds + " } ]\noutput = \"out/big.tsv\"\n");
        TestHosts.Result bigSubmit = client.run("submit", big.toString());
        assertEquals(0, bigSubmit.exit(), bigSubmit.output());
        String id = bigSubmit.output().strip().lines().findFirst().orElseThrow();
        JsonNode before = client.awaitJson(List.of("status", id, "--json"), "node2 working on the job",
            job -> nodeItems(job, node2) >= 50, Duration.ofSeconds(120));
        assertEquals("RUNNING", before.get("state").asText(), "the job ended before the cut: " + before);

        long cutAt = System.nanoTime();
        hosts.cut("node2");
        JsonNode done = client.awaitJson(List.of("status", id, "--json"), "the job to end",
            job -> !List.of("RUNNING", "ACCEPTED", "QUEUED").contains(job.get("state").asText()),
            Duration.ofSeconds(240));
        long endedMillis = (System.nanoTime() - cutAt) / 1_000_000;

        assertEquals("SUCCEEDED", done.get("state").asText(), done.toString());
        ItemCounts.assertAddUp(done);
        assertEquals(bigItems, done.get("items").get("succeeded").asLong(), done.toString());
        assertSha256Output(dir.resolve("out/big.tsv"), bigItems, bigRounds);
        long sum = 0;
        for (JsonNode node : done.get("nodes")) {
          sum += node.get("items").asLong();
        }
        assertEquals(bigItems, sum, "the nodes' shares add up to the job: " + done.get("nodes"));
        String pullingAfter = client.run("nodes", "--json").output();
        assertTrue(!pulling(pullingAfter).contains(node2), "node2 is still listed: " + pullingAfter);

        // The link comes back: the node, which left the cluster when it lost the coordinator, joins again.
        long restoredAt = System.nanoTime();
        hosts.restore("node2");
        client.await("nodes", "node2 a reachable member again", body -> upAndReachable(body).contains(node2),
            Duration.ofSeconds(120));
        long rejoinedMillis = (System.nanoTime() - restoredAt) / 1_000_000;
        client.await("nodes", "node2 pulling work again", body -> pulling(body).contains(node2),
            Duration.ofSeconds(60));
        System.out.printf("MultiHostIT: the job ended %d ms after node2's link was cut; node2 a member again %d ms"
            + " after its link came back, pulling work again %d ms after it%n", endedMillis, rejoinedMillis,
            (System.nanoTime() - restoredAt) / 1_000_000);
      } finally {
        // What the node saw (for the README, and for a failure): its console's lines while cut off and back.
        Files.readAllLines(dir.resolve("node2.out")).stream().limit(60)
            .forEach(line -> System.out.println("MultiHostIT node2: " + line));
        try (java.util.stream.Stream<Path> logFiles = Files.list(dir.resolve("logs-node2"))) {
          for (Path log : logFiles.toList()) {
            Files.readAllLines(log).stream()
                .filter(line -> line.matches("(?i).*(pull|dispatcher|coordinator|refus|down|join|left|leav|"
                    + "unreachable|quarantin|receptionist).*"))
                .limit(80).forEach(line -> System.out.println("MultiHostIT node2 log: " + line));
          }
        }
        for (Process process : started) {
          process.destroyForcibly(); // by pid; ip netns exec and bin/baton both exec, so it is the JVM's
          process.waitFor(30, TimeUnit.SECONDS);
        }
      }
    }
  }

  private Process start(List<String> command, String name) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".out").toFile());
    builder.environment().put("BATON_TOKEN", TOKEN); // beyond loopback the coordinator's API needs one
    return builder.start();
  }

  /** The cluster addresses (host:port) of the nodes that pull work, from {@code baton nodes --json}. */
  private static Set<String> pulling(String body) {
    Set<String> addresses = new HashSet<>();
    try {
      for (JsonNode member : JSON.readTree(body)) {
        if (member.get("roles").toString().contains("\"node\"") && member.get("workers").asInt() > 0) {
          String address = member.get("address").asText();
          addresses.add(address.substring(address.indexOf('@') + 1));
        }
      }
    } catch (Exception e) {
      return Set.of();
    }
    return addresses;
  }

  private static JsonNode parse(String text) {
    try {
      JsonNode json = JSON.readTree(text);
      return json != null && json.isObject() ? json : null;
    } catch (Exception e) {
      return null;
    }
  }

  /** The cluster addresses (host:port) of the members that are Up and reachable. */
  private static Set<String> upAndReachable(String body) {
    Set<String> addresses = new HashSet<>();
    try {
      for (JsonNode member : JSON.readTree(body)) {
        if ("Up".equals(member.get("status").asText()) && member.get("reachable").asBoolean()) {
          String address = member.get("address").asText();
          addresses.add(address.substring(address.indexOf('@') + 1));
        }
      }
    } catch (Exception e) {
      return Set.of();
    }
    return addresses;
  }

  private static long nodeItems(JsonNode job, String hostPort) {
    for (JsonNode node : job.get("nodes")) {
      if (node.get("address").asText().endsWith("@" + hostPort)) {
        return node.get("items").asLong();
      }
    }
    return 0;
  }

  /** Client commands of the archive, run on the coordinator's host against its address, with the token. */
  private record Client(TestHosts hosts, String baton, String url) {

    /** Runs a client command; its stdout alone is the output, its stderr goes to the assertion messages. */
    TestHosts.Result run(String... args) throws Exception {
      List<String> command = new ArrayList<>(List.of(baton));
      command.addAll(List.of(args));
      command.addAll(List.of("--coordinator", url, "--token", TOKEN));
      Path errors = Files.createTempFile("multi-host-client", ".err");
      Process process = new ProcessBuilder(hosts.in("coord", command)).redirectError(errors.toFile()).start();
      try {
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          throw new AssertionError(command + " did not end within 60 s");
        }
        String stderr = Files.readString(errors);
        return new TestHosts.Result(process.exitValue(), stderr.isBlank() ? output : output + stderr);
      } finally {
        process.destroyForcibly();
        Files.deleteIfExists(errors);
      }
    }

    void await(String command, String what, Predicate<String> check, Duration patience) throws Exception {
      Instant deadline = Instant.now().plus(patience);
      String last = "";
      while (Instant.now().isBefore(deadline)) {
        TestHosts.Result result = run(command, "--json");
        last = result.output();
        if (result.exit() == 0 && check.test(last)) {
          return;
        }
        TimeUnit.MILLISECONDS.sleep(POLL.toMillis()); // polling interval of an await with a deadline
      }
      throw new AssertionError("no " + what + " within " + patience + "; last answer: " + last);
    }

    JsonNode awaitJson(List<String> args, String what, Predicate<JsonNode> check, Duration patience)
        throws Exception {
      Instant deadline = Instant.now().plus(patience);
      String last = "";
      while (Instant.now().isBefore(deadline)) {
        TestHosts.Result result = run(args.toArray(String[]::new));
        last = result.output();
        JsonNode json = parse(last);
        if (json != null && check.test(json)) {
          return json;
        }
        TimeUnit.MILLISECONDS.sleep(POLL.toMillis()); // polling interval of an await with a deadline
      }
      throw new AssertionError("no " + what + " within " + patience + "; last answer: " + last);
    }
  }
}
