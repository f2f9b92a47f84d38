package baton.app.it;

import static baton.app.it.ApiJson.nodeItems;
import static baton.app.it.ApiJson.pulling;
import static baton.app.it.ApiJson.read;
import static baton.app.it.BatonProcesses.assertSha256Output;
import static baton.app.it.BatonProcesses.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.app.cli.Cli.Run;
import baton.coordinator.ItemCounts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two coordinators on one PostgreSQL journal (embedded, from Maven) and two nodes, real processes on loopback: the
 * active coordinator (the oldest, where the jobs' singleton runs) is killed with SIGKILL, or stopped with SIGTERM,
 * mid-job; the standby takes the jobs over, the job ends with every item once, the history stays, and the nodes
 * stay members. Prints the take-over times and what a node logged meanwhile. Every process is stopped by pid at
 * the end, whether the test passed or not.
 */
final class CoordinatorFailoverIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ITEMS = 3000;
  private static final int ROUNDS = 15000;
  @RegisterExtension
  static final TestPostgres POSTGRES = new TestPostgres();

  @TempDir
  Path dir;

  @Test
  void activeCoordinatorKilledMidJob_standbyTakesOverWithin20s_everyItemOnceHistoryKeptNodesStay()
      throws Exception {
    failOver("KILL");
  }

  @Test
  void activeCoordinatorStoppedWithSigterm_standbyTakesOver_everyItemOnceHistoryKeptNodesStay() throws Exception {
    failOver("TERM");
  }

  private void failOver(String signal) throws Exception {
    String journal = POSTGRES.newDatabase();
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      int[] clusterPorts = {BatonProcesses.freePort(), BatonProcesses.freePort()};
      int[] httpPorts = {BatonProcesses.freePort(), BatonProcesses.freePort()};
      List<String> seeds = List.of("--seed", "127.0.0.1:" + clusterPorts[0], "--seed", "127.0.0.1:" + clusterPorts[1]);
      Process active = startCoordinator(processes, "coordinator-a", clusterPorts[0], httpPorts[0], seeds, journal);
      processes.awaitApi(httpPorts[0], "/api/health", body -> body.contains("\"ok\""), Duration.ofSeconds(90));
      startCoordinator(processes, "coordinator-b", clusterPorts[1], httpPorts[1], seeds, journal);
      String standbyAddress = "pekko://baton@127.0.0.1:" + clusterPorts[1];
      processes.awaitApi(httpPorts[1], "/api/nodes", body -> upMembers(body).contains(standbyAddress),
          Duration.ofSeconds(90));
      List<Integer> nodePorts = List.of(BatonProcesses.freePort(), BatonProcesses.freePort());
      List<Process> nodes = new ArrayList<>();
      for (int port : nodePorts) {
        List<String> args = new ArrayList<>(List.of("node", "--port", Integer.toString(port), "--workers", "1",
            "--log-dir", dir.resolve("logs").toString()));
        args.addAll(seeds);
        nodes.add(processes.start("node-" + port, args.toArray(String[]::new)));
      }
      List<String> nodeAddresses = nodePorts.stream().map(port -> "pekko://baton@127.0.0.1:" + port).toList();
      // The standby's API answers from the owner on the active coordinator.
      processes.awaitApi(httpPorts[1], "/api/nodes", body -> pulling(body).containsAll(nodeAddresses),
          Duration.ofSeconds(90));

      Path small = dir.resolve("history.conf");
      Files.writeString(small, "name = history\ninput.range { from = 1, to = 20 }\nstages = [ { op = sha256 } ]\n");
      Run before = cli("submit", small.toString(), "--wait", "--coordinator", "127.0.0.1:" + httpPorts[1]);
      assertEquals(0, before.code(), before.err());
      Path spec = dir.resolve("failover.conf");
      Files.writeString(spec, "name = failover\ninput.range { from = 1, to = " + ITEMS + " }\n"
          + "stages = [ { op = delay, millis = 1, parallelism = 100 }, { op = sha256, rounds = " + ROUNDS + " } ]\n"
          + "output = \"out/failover.tsv\"\n");
      Run submit = cli("submit", spec.toString(), "--coordinator", "127.0.0.1:" + httpPorts[0]);
      assertEquals(0, submit.code(), submit.err());
      String id = submit.out().strip();
      // Past a checkpoint (one a second), well before the end, with batches on both nodes.
      JsonNode running = awaitJob(processes, httpPorts[1], id, job -> job.path("items").path("succeeded").asLong()
          >= 900 && nodeItems(job, nodeAddresses.get(0)) > 0 && nodeItems(job, nodeAddresses.get(1)) > 0,
          Duration.ofSeconds(120));
      long doneAtKill = running.path("items").path("succeeded").asLong();
      List<Long> nodeLogOffsets = new ArrayList<>();
      for (int port : nodePorts) {
        nodeLogOffsets.add(Files.size(dir.resolve("logs/node-" + port + ".log")));
      }

      long stoppedAt = System.nanoTime();
      System.out.printf("CoordinatorFailoverIT: SIG%s of the active coordinator at %s%n", signal, Instant.now());
      if (signal.equals("KILL")) {
        processes.kill(active);
      } else {
        int exit = processes.signal(active, signal, Duration.ofSeconds(60));
        System.out.printf("CoordinatorFailoverIT: SIGTERM stopped the active coordinator in %d ms (exit %d)%n",
            millisSince(stoppedAt), exit);
      }
      // The first answer after the stop comes from the new owner: the old one is gone.
      awaitJob(processes, httpPorts[1], id, job -> true, Duration.ofSeconds(60));
      long answeredMillis = millisSince(stoppedAt);
      // Its job actor is back with its last checkpoint's counts, then goes past where the old owner was.
      awaitJob(processes, httpPorts[1], id, job -> job.path("items").path("succeeded").asLong() > 0,
          Duration.ofSeconds(60));
      long resumedMillis = millisSince(stoppedAt);
      awaitJob(processes, httpPorts[1], id, job -> job.path("items").path("succeeded").asLong() > doneAtKill
          || !job.path("state").asText().equals("RUNNING"), Duration.ofSeconds(60));
      long progressMillis = millisSince(stoppedAt);
      String jobLog = processes.awaitFile(dir.resolve("logs/jobs/" + id + ".log"),
          text -> text.contains("after a restart"), Duration.ofSeconds(30));
      Matcher resumed = Pattern.compile("resuming job " + id + " after a restart: (\\d+) items already done")
          .matcher(jobLog);
      assertTrue(resumed.find(), jobLog);
      System.out.printf("CoordinatorFailoverIT: SIG%s of the active coordinator with %d of %d items done; the "
          + "standby's API answered from the new owner after %d ms, the job resumed from its checkpoint (%s items "
          + "done) after %d ms and went past %d items after %d ms%n", signal, doneAtKill, ITEMS, answeredMillis,
          resumed.group(1), resumedMillis, doneAtKill, progressMillis);
      assertTrue(answeredMillis < 20_000, "take-over took " + answeredMillis + " ms");

      JsonNode done = awaitJob(processes, httpPorts[1], id, job -> !job.path("finishedAt").isNull()
          && !job.path("finishedAt").isMissingNode(), Duration.ofSeconds(180));
      System.out.printf("CoordinatorFailoverIT: the job ended %d ms after SIG%s%n", millisSince(stoppedAt), signal);
      assertEquals("SUCCEEDED", done.get("state").asText(), done.toString());
      assertEquals(ITEMS, done.path("items").path("succeeded").asLong(), done.toString());
      ItemCounts.assertAddUp(done);
      assertSha256Output(dir.resolve("out/failover.tsv"), ITEMS, ROUNDS);

      Run list = cli("list", "--json", "--coordinator", "127.0.0.1:" + httpPorts[1]);
      assertEquals(0, list.code(), list.err());
      List<String> ids = new ArrayList<>();
      JSON.readTree(list.out()).forEach(job -> ids.add(job.get("id").asText()));
      assertEquals(List.of(before.out().strip(), id), ids);
      Run history = cli("status", before.out().strip(), "--json", "--coordinator", "127.0.0.1:" + httpPorts[1]);
      assertEquals("SUCCEEDED", JSON.readTree(history.out()).path("state").asText(), history.out());

      // The nodes stayed members: the same processes, never left the cluster, and pull from the new owner.
      String nodesNow = processes.awaitApi(httpPorts[1], "/api/nodes",
          body -> pulling(body).containsAll(nodeAddresses), Duration.ofSeconds(30));
      assertFalse(upMembers(nodesNow).contains("pekko://baton@127.0.0.1:" + clusterPorts[0]), nodesNow);
      for (int i = 0; i < nodes.size(); i++) {
        assertTrue(nodes.get(i).isAlive(), "node " + nodePorts.get(i) + " exited");
        String out = Files.readString(dir.resolve("node-" + nodePorts.get(i) + ".out"));
        assertFalse(out.contains("the node left the cluster"), out);
        String log = tail(dir.resolve("logs/node-" + nodePorts.get(i) + ".log"), nodeLogOffsets.get(i));
        System.out.printf("CoordinatorFailoverIT: node %d logged after SIG%s:%n%s", nodePorts.get(i), signal,
            log.lines().filter(line -> line.matches(".*(?i)(coordinator|cluster|pulling|unreachable|down|leader|"
                + "singleton|removing|removed).*")).map(line -> "  " + line + "\n").reduce("", String::concat));
        assertFalse(log.contains("node up again"), log);
      }
    }
  }

  private Process startCoordinator(BatonProcesses processes, String name, int clusterPort, int httpPort,
      List<String> seeds, String journal) throws IOException {
    // One --data-dir and one --log-dir for both: the jobs' files and logs are where either coordinator finds them.
    List<String> args = new ArrayList<>(List.of("coordinator", "--port", Integer.toString(clusterPort),
        "--http-port", Integer.toString(httpPort), "--journal-url", journal, "--data-dir",
        dir.resolve("data").toString(), "--log-dir", dir.resolve("logs").toString()));
    args.addAll(seeds);
    return processes.start(name, args.toArray(String[]::new));
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  private static String tail(Path file, long offset) throws IOException {
    byte[] all = Files.readAllBytes(file);
    return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
        StandardCharsets.UTF_8);
  }

  /** Polls the job's status until it passes the check, or fails at the deadline. */
  private static JsonNode awaitJob(BatonProcesses processes, int httpPort, String id, Predicate<JsonNode> check,
      Duration patience) throws Exception {
    return read(processes.awaitApi(httpPort, "/api/jobs/" + id, text -> check.test(read(text)), patience));
  }

  /** The addresses of the members that are up. */
  private static List<String> upMembers(String body) {
    List<String> addresses = new ArrayList<>();
    for (JsonNode member : read(body)) {
      if (member.path("status").asText().equals("Up")) {
        addresses.add(member.path("address").asText());
      }
    }
    return addresses;
  }
}
