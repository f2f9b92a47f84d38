package baton.app.it;

import static baton.app.it.ApiJson.nodeItems;
import static baton.app.it.ApiJson.pulling;
import static baton.app.it.ApiJson.read;
import static baton.app.it.BatonProcesses.assertSha256Output;
import static baton.app.it.BatonProcesses.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.app.cli.Cli.Run;
import baton.coordinator.ItemCounts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes that die, a coordinator that dies and comes back, a job cancelled mid-way: real processes on loopback,
 * each test with a cluster of its own, every process killed by pid at the end, whether the test passed or not.
 */
final class NodeFaultIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration POLL = Duration.ofMillis(100);

  @TempDir
  Path dir;

  @Test
  void nodeKilledMidJob_itsBatchesGoToTheOtherNode_everyItemOnceAndRight() throws Exception {
    int items = 3000;
    int rounds = 3000;
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      Cluster cluster = Cluster.start(processes, dir, 2);
      Path spec = dir.resolve("cpu.conf");
      Files.writeString(spec, "name = cpu\ninput.range { from = 1, to = " + items + " }\n"
          + "stages = [ { op = sha256, rounds = " + rounds + " } ]\noutput = \"out/cpu.tsv\"\n");
      String id = submit(cluster, spec);
      String victim = cluster.nodeAddress(0);
      String survivor = cluster.nodeAddress(1);
      // Kill only once the victim has done some items and holds batches of its own.
      JsonNode before = awaitJob(processes, cluster, id, job -> nodeItems(job, victim) >= 100, Duration.ofSeconds(90));
      assertEquals("RUNNING", before.get("state").asText(), before.toString());

      long killedAt = System.nanoTime();
      processes.kill(cluster.nodes.get(0));
      processes.awaitApi(cluster.httpPort, "/api/nodes", body -> !pulling(body).contains(victim),
          Duration.ofSeconds(30));
      long removedMillis = (System.nanoTime() - killedAt) / 1_000_000;
      JsonNode done = awaitJob(processes, cluster, id, job -> !job.get("state").asText().equals("RUNNING"),
          Duration.ofSeconds(180));
      long finishedMillis = (System.nanoTime() - killedAt) / 1_000_000;
      System.out.printf("NodeFaultIT: node removed %d ms after SIGKILL; job done %d ms after it%n", removedMillis,
          finishedMillis);

      assertEquals("SUCCEEDED", done.get("state").asText(), done.toString());
      assertSha256Output(dir.resolve("out/cpu.tsv"), items, rounds);
      long byVictim = nodeItems(done, victim);
      long bySurvivor = nodeItems(done, survivor);
      assertEquals(items, byVictim + bySurvivor, done.get("nodes").toString());
      assertTrue(byVictim >= nodeItems(before, victim) && bySurvivor > items / 2, done.toString());
      assertTrue(removedMillis < 15_000, "removal took " + removedMillis + " ms");
      String log = Files.readString(dir.resolve("logs-coordinator-1/coordinator-" + cluster.clusterPort + ".log"));
      assertTrue(log.matches("(?s).*node " + java.util.regex.Pattern.quote(victim)
          + " is gone with [1-9]\\d* batches in flight.*"), "the victim held no batches when it died");
    }
  }

  @Test
  void coordinatorKilledMidJob_startedAgainOnItsDataDir_jobResumesEveryItemOnceHistoryKeptNodeRejoins()
      throws Exception {
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      Cluster cluster = Cluster.start(processes, dir, 1);
      Path small = dir.resolve("history.conf");
      Files.writeString(small, "name = history\ninput.range { from = 1, to = 20 }\n"
          + "stages = [ { op = sha256 } ]\n");
      Run before = cli("submit", small.toString(), "--wait", "--coordinator", cluster.url());
      assertEquals(0, before.code(), before.err());
      int items = 3000;
      int rounds = 15000;
      Path spec = dir.resolve("resume.conf");
      Files.writeString(spec, "name = resume\ninput.range { from = 1, to = " + items + " }\n"
          + "stages = [ { op = delay, millis = 1, parallelism = 100 }, { op = sha256, rounds = " + rounds + " } ]\n"
          + "output = \"out/resume.tsv\"\n");
      String id = submit(cluster, spec);
      // Past a checkpoint (one a second) and well before the end.
      awaitJob(processes, cluster, id, job -> job.path("items").path("succeeded").asLong() >= 1200,
          Duration.ofSeconds(90));

      processes.kill(cluster.coordinator);
      long killedAt = System.nanoTime();
      Cluster again = cluster.restartCoordinator(processes, dir);
      processes.awaitApi(again.httpPort, "/api/nodes", body -> pulling(body).contains(cluster.nodeAddress(0)),
          Duration.ofSeconds(60));
      long backMillis = (System.nanoTime() - killedAt) / 1_000_000;
      System.out.printf("NodeFaultIT: node back in the new coordinator's cluster %d ms after the kill%n", backMillis);
      assertTrue(cluster.nodes.get(0).isAlive(), "the node process exited");

      JsonNode done = awaitJob(processes, again, id, job -> !job.path("finishedAt").isNull()
          && !job.path("finishedAt").isMissingNode(), Duration.ofSeconds(120));
      assertEquals("SUCCEEDED", done.get("state").asText(), done.toString());
      assertEquals(items, done.get("items").get("succeeded").asLong(), done.toString());
      assertSha256Output(dir.resolve("out/resume.tsv"), items, rounds);
      String jobLog = Files.readString(dir.resolve("logs-coordinator-2/jobs/" + id + ".log"));
      java.util.regex.Matcher resumed = java.util.regex.Pattern
          .compile("resuming job " + id + " after a restart: (\\d+) items already done").matcher(jobLog);
      assertTrue(resumed.find(), jobLog);
      long alreadyDone = Long.parseLong(resumed.group(1));
      System.out.printf("NodeFaultIT: the resumed job had %d of %d items done before the kill%n", alreadyDone, items);
      assertTrue(alreadyDone > 0 && alreadyDone < items, jobLog);

      Run list = cli("list", "--json", "--coordinator", again.url());
      assertEquals(0, list.code(), list.err());
      List<String> ids = new java.util.ArrayList<>();
      JSON.readTree(list.out()).forEach(job -> ids.add(job.get("id").asText()));
      assertEquals(List.of(before.out().strip(), id), ids);
    }
  }

  @Test
  void coordinatorStoppedWithSigterm_startedAgainOnItsDataDir_nodesRejoinJobResumesEveryItemOnceNewJobRuns()
      throws Exception {
    coordinatorStoppedGracefully("TERM");
  }

  @Test
  void coordinatorStoppedWithSigint_startedAgainOnItsDataDir_nodesRejoinJobResumesEveryItemOnceNewJobRuns()
      throws Exception {
    coordinatorStoppedGracefully("INT");
  }

  /** The polite twin of the kill above: the coordinator leaves the cluster, and the nodes must follow it back. */
  private void coordinatorStoppedGracefully(String signal) throws Exception {
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      Cluster cluster = Cluster.start(processes, dir, 2);
      int items = 3000;
      int rounds = 15000;
      Path spec = dir.resolve("resume.conf");
      Files.writeString(spec, "name = resume\ninput.range { from = 1, to = " + items + " }\n"
          + "stages = [ { op = delay, millis = 1, parallelism = 100 }, { op = sha256, rounds = " + rounds + " } ]\n"
          + "output = \"out/resume.tsv\"\n");
      String id = submit(cluster, spec);
      // Past a checkpoint (one a second), well before the end, and with batches on both nodes.
      awaitJob(processes, cluster, id, job -> job.path("items").path("succeeded").asLong() >= 600
          && nodeItems(job, cluster.nodeAddress(0)) > 0 && nodeItems(job, cluster.nodeAddress(1)) > 0,
          Duration.ofSeconds(90));

      int exit = processes.signal(cluster.coordinator, signal, Duration.ofSeconds(30));
      long stoppedAt = System.nanoTime();
      Cluster again = cluster.restartCoordinator(processes, dir);
      processes.awaitApi(again.httpPort, "/api/nodes", body -> pulling(body).containsAll(
          List.of(cluster.nodeAddress(0), cluster.nodeAddress(1))), Duration.ofSeconds(45));
      long backMillis = (System.nanoTime() - stoppedAt) / 1_000_000;
      System.out.printf("NodeFaultIT: SIG%s stopped the coordinator (exit %d); both nodes back in the new "
          + "coordinator's cluster %d ms after it exited%n", signal, exit, backMillis);
      assertTrue(cluster.nodes.stream().allMatch(Process::isAlive), "a node process exited");

      JsonNode done = awaitJob(processes, again, id, job -> !job.path("finishedAt").isNull()
          && !job.path("finishedAt").isMissingNode(), Duration.ofSeconds(120));
      assertEquals("SUCCEEDED", done.get("state").asText(), done.toString());
      JsonNode counts = done.get("items");
      assertEquals(items, counts.get("succeeded").asLong(), done.toString());
      assertEquals(items, counts.get("total").asLong(), done.toString());
      assertEquals(items, counts.get("succeeded").asLong() + counts.get("failed").asLong()
          + counts.get("filtered").asLong(), done.toString());
      assertSha256Output(dir.resolve("out/resume.tsv"), items, rounds);

      Path after = dir.resolve("after.conf");
      Files.writeString(after, "name = after\ninput.range { from = 1, to = 200 }\n"
          + "stages = [ { op = sha256, rounds = 100 } ]\noutput = \"out/after.tsv\"\n");
      String next = submit(again, after);
      JsonNode ran = awaitJob(processes, again, next, job -> !job.path("finishedAt").isNull()
          && !job.path("finishedAt").isMissingNode(), Duration.ofSeconds(60));
      assertEquals("SUCCEEDED", ran.get("state").asText(), ran.toString());
      assertEquals(200, nodeItems(ran, cluster.nodeAddress(0)) + nodeItems(ran, cluster.nodeAddress(1)),
          ran.toString());
      assertSha256Output(dir.resolve("out/after.tsv"), 200, 100);
    }
  }

  @Test
  void nodeStartedBeforeItsCoordinator_saysItWaitsForTheSeed_joinsOnceTheCoordinatorIsUp() throws Exception {
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      int clusterPort = BatonProcesses.freePort();
      int httpPort = BatonProcesses.freePort();
      int nodePort = BatonProcesses.freePort();
      processes.start("node-early", "node", "--seed", "127.0.0.1:" + clusterPort, "--port",
          Integer.toString(nodePort), "--workers", "1", "--log-dir", dir.resolve("logs").toString());
      String hint = "waiting for the coordinator at 127.0.0.1:" + clusterPort + " (seed); start it with "
          + "`baton coordinator`";
      processes.awaitFile(dir.resolve("logs/node-" + nodePort + ".log"), log -> log.contains(hint),
          Duration.ofSeconds(30));
      processes.awaitFile(dir.resolve("node-early.out"), out -> out.contains(hint), Duration.ofSeconds(5));

      Cluster.startCoordinator(processes, dir, clusterPort, httpPort, 1);
      processes.awaitApi(httpPort, "/api/nodes", body -> pulling(body).contains("pekko://baton@127.0.0.1:"
          + nodePort), Duration.ofSeconds(60));
    }
  }

  @Test
  void nodeJoiningMidJob_startsTakingWorkAtOnce() throws Exception {
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      Cluster cluster = Cluster.start(processes, dir, 1);
      Path spec = dir.resolve("joined.conf");
      Files.writeString(spec, "name = joined\ninput.range { from = 1, to = 100000 }\n"
          + "stages = [ { op = sha256, rounds = 3000 } ]\n");
      String id = submit(cluster, spec);
      awaitJob(processes, cluster, id, job -> nodeItems(job, cluster.nodeAddress(0)) > 0, Duration.ofSeconds(60));

      int port = BatonProcesses.freePort();
      String late = "pekko://baton@127.0.0.1:" + port;
      processes.start("node-late", "node", "--seed", "127.0.0.1:" + cluster.clusterPort, "--port",
          Integer.toString(port), "--workers", "1", "--log-dir", dir.resolve("logs").toString());
      long startedAt = System.nanoTime();
      JsonNode job = awaitJob(processes, cluster, id, status -> nodeItems(status, late) > 0, Duration.ofSeconds(60));
      System.out.printf("NodeFaultIT: a node started mid-job did its first items %d ms after its process started%n",
          (System.nanoTime() - startedAt) / 1_000_000);

      assertEquals("RUNNING", job.get("state").asText(), job.toString());
      assertEquals(0, cli("cancel", id, "--coordinator", cluster.url()).code());
    }
  }

  @Test
  void cancel_longJobOnTwoNodes_cancelledPromptlyAndNodesStopWorkingOnIt() throws Exception {
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      Cluster cluster = Cluster.start(processes, dir, 2);
      Path spec = dir.resolve("long.conf");
      Files.writeString(spec, "name = long\ninput.range { from = 1, to = 100000 }\n"
          + "stages = [ { op = sha256, rounds = 3000 } ]\n");
      String id = submit(cluster, spec);
      awaitJob(processes, cluster, id,
          job -> nodeItems(job, cluster.nodeAddress(0)) > 50 && nodeItems(job, cluster.nodeAddress(1)) > 50,
          Duration.ofSeconds(90));

      long cancelledAt = System.nanoTime();
      Run cancel = cli("cancel", id, "--coordinator", cluster.url());
      JsonNode cancelled = awaitJob(processes, cluster, id, job -> job.get("state").asText().equals("CANCELLED"),
          Duration.ofSeconds(5));
      long cancelMillis = (System.nanoTime() - cancelledAt) / 1_000_000;

      assertEquals(0, cancel.code(), cancel.err());
      assertTrue(cancelled.get("items").get("succeeded").asLong() + cancelled.get("stages").get(0).get("done")
          .asLong() > 0, cancelled.toString());
      // What was on the nodes when the cancel came may still finish; after that, nothing more.
      JsonNode settled = awaitSettled(processes, cluster, id, Duration.ofSeconds(1), Duration.ofSeconds(15));
      long total = nodeItems(settled, cluster.nodeAddress(0)) + nodeItems(settled, cluster.nodeAddress(1));
      System.out.printf("NodeFaultIT: cancelled in %d ms; the nodes did %d of 100000 items%n", cancelMillis, total);
      assertTrue(total < 50_000, settled.toString());
      assertEquals(100_000, settled.get("items").get("total").asLong(), "a cancel keeps the total: " + settled);
      ItemCounts.assertAddUp(settled);
    }
  }

  /** A coordinator (no workers of its own) and nodes with one worker each, on free loopback ports. */
  private record Cluster(Process coordinator, List<Process> nodes, List<Integer> nodePorts, int clusterPort,
      int httpPort, int generation) {

    static Cluster start(BatonProcesses processes, Path dir, int nodeCount) throws Exception {
      int clusterPort = BatonProcesses.freePort();
      int httpPort = BatonProcesses.freePort();
      Process coordinator = startCoordinator(processes, dir, clusterPort, httpPort, 1);
      List<Process> nodes = new java.util.ArrayList<>();
      List<Integer> ports = new java.util.ArrayList<>();
      for (int i = 0; i < nodeCount; i++) {
        int port = BatonProcesses.freePort();
        ports.add(port);
        nodes.add(processes.start("node-" + i, "node", "--seed", "127.0.0.1:" + clusterPort, "--port",
            Integer.toString(port), "--workers", "1", "--log-dir", dir.resolve("logs").toString()));
      }
      Cluster cluster = new Cluster(coordinator, nodes, ports, clusterPort, httpPort, 1);
      processes.awaitApi(httpPort, "/api/nodes", body -> pulling(body).size() == nodeCount, Duration.ofSeconds(90));
      return cluster;
    }

    Cluster restartCoordinator(BatonProcesses processes, Path dir) throws Exception {
      Process again = startCoordinator(processes, dir, clusterPort, httpPort, generation + 1);
      return new Cluster(again, nodes, nodePorts, clusterPort, httpPort, generation + 1);
    }

    private static Process startCoordinator(BatonProcesses processes, Path dir, int clusterPort, int httpPort,
        int generation) throws Exception {
      return processes.start("coordinator-" + generation, "coordinator", "--port", Integer.toString(clusterPort),
          "--http-port", Integer.toString(httpPort), "--workers", "0", "--data-dir", dir.resolve("data").toString(),
          "--log-dir",
          dir.resolve("logs-coordinator-" + generation).toString());
    }

    String nodeAddress(int index) {
      return "pekko://baton@127.0.0.1:" + nodePorts.get(index);
    }

    String url() {
      return "http://127.0.0.1:" + httpPort;
    }
  }

  private static String submit(Cluster cluster, Path spec) {
    Run submit = cli("submit", spec.toString(), "--coordinator", cluster.url());
    assertEquals(0, submit.code(), submit.err());
    return submit.out().strip();
  }

  /** Polls the job's status until it passes the check, or fails at the deadline. */
  private static JsonNode awaitJob(BatonProcesses processes, Cluster cluster, String id, Predicate<JsonNode> check,
      Duration patience) throws Exception {
    String body = processes.awaitApi(cluster.httpPort, "/api/jobs/" + id, text -> check.test(read(text)), patience);
    return read(body);
  }

  /** Polls the job's status until its per-node counts have not changed for {@code quiet}. */
  private static JsonNode awaitSettled(BatonProcesses processes, Cluster cluster, String id, Duration quiet,
      Duration patience) throws Exception {
    long deadline = System.nanoTime() + patience.toNanos();
    String last = "";
    long sameSince = System.nanoTime();
    while (System.nanoTime() < deadline) {
      String nodes = read(processes.get(cluster.httpPort, "/api/jobs/" + id).orElse("{}")).path("nodes").toString();
      if (!nodes.equals(last)) {
        last = nodes;
        sameSince = System.nanoTime();
      } else if (System.nanoTime() - sameSince >= quiet.toNanos()) {
        return read(processes.get(cluster.httpPort, "/api/jobs/" + id).orElseThrow());
      }
      TimeUnit.MILLISECONDS.sleep(POLL.toMillis()); // polling interval of an await with a deadline
    }
    throw new AssertionError("the nodes' counts kept changing for " + patience + ": " + last);
  }

}
