package baton.app.it;

import static baton.app.it.BatonProcesses.assertSha256Output;
import static baton.app.it.BatonProcesses.cli;
import static baton.app.it.BatonProcesses.readOutput;
import static baton.app.it.BatonProcesses.sha256Rounds;
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
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A coordinator and two nodes as real processes on loopback, driven by the CLI like a user would. */
final class ClusterIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path dir;

  static BatonProcesses processes;
  static String coordinatorUrl;
  static int httpPort;

  @BeforeAll
  static void startCluster() throws Exception {
    processes = new BatonProcesses(dir);
    int clusterPort = BatonProcesses.freePort();
    httpPort = BatonProcesses.freePort();
    coordinatorUrl = "http://127.0.0.1:" + httpPort;
    String seed = "127.0.0.1:" + clusterPort;
    Path logs = dir.resolve("logs");
    processes.start("coordinator", "coordinator", "--port", Integer.toString(clusterPort),
        "--http-port", Integer.toString(httpPort), "--log-dir", logs.toString());
    processes.start("node-a", "node", "--seed", seed, "--workers", "2", "--log-dir", logs.toString());
    processes.start("node-b", "node", "--seed", seed, "--workers", "2", "--log-dir", logs.toString());
    processes.awaitApi(httpPort, "/api/nodes", body -> countNodes(body) == 2, Duration.ofSeconds(90));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (processes != null) {
      processes.close();
    }
  }

  @Test
  void submitWait_cpuJobOnTwoNodes_outputExactAndBothNodesWorked() throws Exception {
    int rounds = 20;
    Path spec = dir.resolve("cpu.conf");
    Files.writeString(spec, "name = cpu\ninput.range { from = 1, to = 4000 }\n"
        + "stages = [ { op = sha256, rounds = " + rounds + " } ]\noutput = \"out/cpu.tsv\"\n");

    Run submit = cli("submit", spec.toString(), "--wait", "--coordinator", coordinatorUrl);

    assertEquals(0, submit.code(), submit.err());
    String id = submit.out().strip();
    assertSha256Output(dir.resolve("out/cpu.tsv"), 4000, rounds);
    Run status = cli("status", id, "--json", "--coordinator", coordinatorUrl);
    JsonNode job = JSON.readTree(status.out());
    assertEquals("SUCCEEDED", job.get("state").asText());
    ItemCounts.assertAddUp(job);
    assertEquals(2, job.get("nodes").size(), "both nodes worked: " + job.get("nodes"));
    long sum = 0;
    for (JsonNode node : job.get("nodes")) {
      assertTrue(node.get("items").asLong() > 0, "node did nothing: " + node);
      sum += node.get("items").asLong();
    }
    assertEquals(4000, sum);
  }

  @Test
  void submit_itemsUpToTheLimitCrossAndAnOversizeItemFailsAlone() throws Exception {
    Path data = Files.createDirectories(dir.resolve("big"));
    Random random = new Random(7);
    byte[] nearLimit = new byte[8 * 1024 * 1024 - 4096];
    byte[] oversize = new byte[9 * 1024 * 1024];
    byte[] small = new byte[1000];
    random.nextBytes(nearLimit);
    random.nextBytes(oversize);
    random.nextBytes(small);
    Files.write(data.resolve("near-limit.bin"), nearLimit);
    Files.write(data.resolve("oversize.bin"), oversize);
    Files.write(data.resolve("small.bin"), small);
    Path spec = dir.resolve("big.conf");
    Files.writeString(spec, "name = big\ninput.files = \"big/*.bin\"\n"
        + "stages = [ { op = read-file }, { op = sha256 } ]\noutput = \"out/big.tsv\"\nmax-failed-items = 1\n");

    Run submit = cli("submit", spec.toString(), "--wait", "--coordinator", coordinatorUrl);

    assertEquals(0, submit.code(), submit.err());
    Map<String, String> output = readOutput(dir.resolve("out/big.tsv"));
    assertEquals(Map.of(
        data.resolve("near-limit.bin").toString(), sha256Rounds(nearLimit, 1),
        data.resolve("small.bin").toString(), sha256Rounds(small, 1)), output);
    JsonNode job = JSON.readTree(cli("status", submit.out().strip(), "--json", "--coordinator", coordinatorUrl).out());
    assertEquals(1, job.get("items").get("failed").asLong());
    ItemCounts.assertAddUp(job);
    String log = cli("logs", submit.out().strip(), "--coordinator", coordinatorUrl).out();
    assertTrue(log.contains("oversize.bin") && log.contains("max-item-bytes"), log);
  }

  @Test
  void clientCommands_badInputAndUnknownJob_clearErrorsAndExitCodes() throws Exception {
    Path spec = dir.resolve("bad.conf");
    Files.writeString(spec, "input.range { from = 1, to = 3 }\nstages = [ { op = nope } ]\n");

    Run badSpec = cli("submit", spec.toString(), "--coordinator", coordinatorUrl);
    Run unknown = cli("status", "no-such-job", "--coordinator", coordinatorUrl);
    Run unreachable = cli("list", "--coordinator", "http://127.0.0.1:" + BatonProcesses.freePort());

    assertEquals(2, badSpec.code());
    assertTrue(badSpec.err().contains("unknown op nope") && badSpec.err().contains("bad.conf:2"), badSpec.err());
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("no job no-such-job"), unknown.err());
    assertEquals(3, unreachable.code());
    for (Run run : List.of(badSpec, unknown, unreachable)) {
      assertTrue(!run.err().contains("Exception") && !run.err().contains("\tat "), run.err());
    }
  }

  private static int countNodes(String body) {
    try {
      int count = 0;
      for (JsonNode member : JSON.readTree(body)) {
        if (member.get("roles").toString().contains("\"node\"") && member.get("workers").asInt() > 0) {
          count++;
        }
      }
      return count;
    } catch (Exception e) {
      return -1;
    }
  }
}
