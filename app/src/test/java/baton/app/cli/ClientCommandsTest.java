package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.ItemCounts;
import baton.coordinator.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The client commands against a coordinator's API in this JVM, as a user types them. */
@ExtendWith(Cli.RestoresTestLogging.class)
final class ClientCommandsTest {

  @TempDir
  Path dir;

  @RegisterExtension
  final TestApi api = new TestApi(() -> dir);

  @Test
  void coordinatorOption_hostAndPortWithoutScheme_isAccepted() {
    Cli.Run run = Cli.run("list", "--json", "--coordinator", "127.0.0.1:" + api.port());

    assertEquals(0, run.code(), run.toString());
    assertEquals("[]", run.out().strip());
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1:", "ftp://127.0.0.1:8551", "http://", "a b:1", "127.0.0.1:99999"})
  void coordinatorOption_badValue_oneClearLineExit2(String value) {
    Cli.Run run = Cli.run("list", "--coordinator", value);

    assertEquals(2, run.code(), run.toString());
    assertEquals("baton: --coordinator must be HOST:PORT or a URL such as http://127.0.0.1:8551, got " + value
        + "\n", run.err());
  }

  @Test
  void logs_unknownJob_saysSoWithoutPathsExit2() {
    Cli.Run run = Cli.run("logs", "nosuch-000000", "--coordinator", api.url());

    assertEquals(2, run.code(), run.toString());
    assertEquals("baton: no job with id nosuch-000000\n", run.err());
    assertFalse(run.err().contains(dir.toString()), run.err());
  }

  @Test
  void submit_beyondMaxRunningJobs_queuedShownBySubmitStatusListAndCancel() throws Exception {
    api.restart(Map.of("baton.coordinator.max-running-jobs", 1));
    Files.writeString(dir.resolve("slow.conf"), "input.range { from = 1, to = 3 }\n"
        + "stages = [ { op = delay, millis = 600000 } ]\n");
    Files.writeString(dir.resolve("next.conf"), "name = next\ninput.range { from = 1, to = 4 }\n"
        + "stages = [ { op = delay, millis = 1 } ]\n");
    String running = Cli.run("submit", dir.resolve("slow.conf").toString(), "--coordinator", api.url()).out().strip();

    Cli.Run submit = Cli.run("submit", dir.resolve("next.conf").toString(), "--coordinator", api.url());
    String id = submit.out().strip();
    Cli.Run status = Cli.run("status", id, "--coordinator", api.url());
    Cli.Run json = Cli.run("status", id, "--json", "--coordinator", api.url());
    Cli.Run list = Cli.run("list", "--coordinator", api.url());
    Cli.Run cancel = Cli.run("cancel", id, "--coordinator", api.url());
    Cli.Run after = Cli.run("status", id, "--json", "--coordinator", api.url());

    assertEquals(0, submit.code(), submit.toString());
    assertEquals(id + " QUEUED (position 1 of 1 in the queue; 1 jobs running, max-running-jobs = 1)\n",
        submit.err());
    assertTrue(status.out().startsWith(id + "  QUEUED (position 1 of 1 in the queue;"), status.toString());
    assertFalse(status.out().contains("stage"), "a queued job has no stage counts yet: " + status);
    JsonNode queued = Json.mapper().readTree(json.out());
    assertEquals("QUEUED", queued.get("state").asText());
    assertEquals(1, queued.get("queuePosition").asInt());
    assertTrue(list.out().lines().anyMatch(line -> line.startsWith(id) && line.contains(" QUEUED #1 ")),
        list.toString());
    assertEquals(0, cancel.code(), cancel.toString());
    assertEquals(id + " CANCELLED\n", cancel.out());
    JsonNode cancelled = Json.mapper().readTree(after.out());
    assertEquals(4, cancelled.get("items").get("notRun").asLong(), after.toString());
    ItemCounts.assertAddUp(cancelled);
    assertEquals(0, Cli.run("cancel", running, "--coordinator", api.url()).code());
  }

  @Test
  void status_runningJobWithASlowStage_showsItemsPerSecondEtaBottleneckAndTimeInEachState() throws Exception {
    Files.writeString(dir.resolve("slow.conf"), "name = slow\ninput.range { from = 1, to = 100000 }\n"
        + "stages = [ { op = delay, millis = 20, parallelism = 2 } ]\n");
    String id = Cli.run("submit", dir.resolve("slow.conf").toString(), "--coordinator", api.url()).out().strip();

    Cli.Run status = awaitRun(run -> run.out().contains("bottleneck"), "status", id, "--coordinator", api.url());
    Cli.Run json = Cli.run("status", id, "--json", "--coordinator", api.url());
    Cli.Run list = Cli.run("list", "--coordinator", api.url());
    Cli.run("cancel", id, "--coordinator", api.url());

    assertEquals(0, status.code(), status.toString());
    assertTrue(status.out().lines().anyMatch(line -> line.matches(
        "pace    [0-9,.]+ items/s, ETA [0-9hmin ]+s, bottleneck: delay \\(stage 1, 2 of 2 in flight\\)")),
        status.toString());
    assertTrue(status.out().lines().anyMatch(line -> line.matches(
        "states  ACCEPTED [0-9.]+ s, RUNNING [0-9.]+ s")), status.toString());
    JsonNode node = Json.mapper().readTree(json.out());
    assertTrue(node.get("itemsPerSecond").asDouble() > 0, json.toString());
    assertTrue(node.get("etaMillis").asLong() > 0, json.toString());
    assertEquals("delay", node.get("bottleneck").asText(), json.toString());
    assertTrue(node.get("stateMillis").has("RUNNING"), json.toString());
    assertEquals(2, node.get("stages").get(0).get("inFlight").asInt(), json.toString());
    assertTrue(list.out().lines().findFirst().orElse("").contains("ITEMS/S"), list.toString());
    assertTrue(list.out().lines().anyMatch(line -> line.startsWith(id) && line.matches(".* [0-9,.]+ .*")),
        list.toString());
  }

  @Test
  void status_queuedJob_showsTheTimeItHasBeenQueued() throws Exception {
    api.restart(Map.of("baton.coordinator.max-running-jobs", 1));
    Files.writeString(dir.resolve("slow.conf"), "input.range { from = 1, to = 3 }\n"
        + "stages = [ { op = delay, millis = 600000 } ]\n");
    String running = Cli.run("submit", dir.resolve("slow.conf").toString(), "--coordinator", api.url()).out().strip();
    String queued = Cli.run("submit", dir.resolve("slow.conf").toString(), "--coordinator", api.url()).out().strip();

    Cli.Run status = Cli.run("status", queued, "--coordinator", api.url());
    Cli.run("cancel", queued, "--coordinator", api.url());
    Cli.run("cancel", running, "--coordinator", api.url());

    assertTrue(status.out().lines().anyMatch(line -> line.matches("states  QUEUED [0-9.]+ s")), status.toString());
    assertFalse(status.out().contains("pace"), "a queued job has no pace yet: " + status);
  }

  @Test
  void cancel_finishedJob_saysItAlreadyEndedExit1() throws Exception {
    Files.writeString(dir.resolve("quick.conf"), "input.range { from = 1, to = 3 }\n"
        + "stages = [ { op = delay, millis = 1 } ]\n");
    Cli.Run submit = Cli.run("submit", dir.resolve("quick.conf").toString(), "--wait", "--coordinator", api.url());
    assertEquals(0, submit.code(), submit.toString());
    String id = submit.out().strip();

    Cli.Run cancel = Cli.run("cancel", id, "--coordinator", api.url());

    assertEquals(1, cancel.code(), cancel.toString());
    assertEquals("baton: job " + id + " already ended: SUCCEEDED\n", cancel.err());
  }

  /** Runs the command until its run passes {@code check}, for at most 30 s. */
  private static Cli.Run awaitRun(java.util.function.Predicate<Cli.Run> check, String... args) {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
    Cli.Run run = Cli.run(args);
    while (!check.test(run) && System.nanoTime() < deadline) {
      run = Cli.run(args);
    }
    return run;
  }
}
