package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.ItemCounts;
import baton.coordinator.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code baton failures} and {@code baton rerun} against a coordinator's API in this JVM. */
@ExtendWith(Cli.RestoresTestLogging.class)
final class FailuresCommandsTest {

  @TempDir
  Path dir;

  @RegisterExtension
  final TestApi api = new TestApi(() -> dir);

  @Test
  void failures_jobWithFailedItems_tableJsonAndPages() throws Exception {
    String id = finished(spec("half", 6));

    Cli.Run table = Cli.run("failures", id, "--coordinator", api.url());
    Cli.Run json = Cli.run("failures", id, "--json", "--coordinator", api.url());
    Cli.Run page = Cli.run("failures", id, "--json", "--offset", "1", "--limit", "2", "--coordinator", api.url());

    assertEquals(0, table.code(), table.toString());
    assertTrue(table.out().startsWith("key"), table.out());
    for (String column : List.of("stage", "op", "attempts", "reason")) {
      assertTrue(table.out().lines().findFirst().orElseThrow().contains(column), table.out());
    }
    assertTrue(table.out().lines().anyMatch(line -> line.startsWith("1 ") && line.contains("read-file")),
        table.out());
    assertTrue(table.out().contains("3 failed items"), table.out());
    assertEquals(0, json.code(), json.toString());
    JsonNode all = Json.mapper().readTree(json.out());
    assertEquals(3, all.get("total").asLong());
    assertEquals(List.of("1", "3", "5"), keys(all).stream().sorted().toList());
    JsonNode part = Json.mapper().readTree(page.out());
    assertEquals(1, part.get("offset").asLong());
    assertEquals(2, part.get("items").size());
    assertEquals(keys(all).subList(1, 3), keys(part));
  }

  @Test
  void failures_unknownJobOrBadLimit_oneLineExit2() throws Exception {
    String id = finished(spec("half", 2));

    Cli.Run unknown = Cli.run("failures", "nosuch-000000", "--coordinator", api.url());
    Cli.Run badLimit = Cli.run("failures", id, "--limit", "0", "--coordinator", api.url());

    assertEquals(2, unknown.code(), unknown.toString());
    assertEquals("baton: no job nosuch-000000\n", unknown.err());
    assertEquals(2, badLimit.code(), badLimit.toString());
    assertEquals("baton: offset must be a whole number from 0 and limit one from 1 to 1000, got offset = 0, "
        + "limit = 0\n", badLimit.err());
  }

  @Test
  void rerun_failedOnly_printsTheNewIdWhoseStatusLinksTheFirstAndRunsOnlyTheFailedItems() throws Exception {
    Path in = Files.createDirectories(dir.resolve("in"));
    String first = finished(spec("half", 6));
    for (int n = 1; n <= 6; n += 2) {
      Files.writeString(in.resolve(Integer.toString(n)), "late " + n);
    }

    Cli.Run rerun = Cli.run("rerun", first, "--failed-only", "--wait", "--coordinator", api.url());

    assertEquals(0, rerun.code(), rerun.toString());
    String second = rerun.out().strip();
    assertTrue(second.matches("half-[0-9a-f]{6}") && !second.equals(first), rerun.out());
    Cli.Run status = Cli.run("status", second, "--coordinator", api.url());
    assertTrue(status.out().contains("rerun of " + first), status.out());
    JsonNode done = Json.mapper().readTree(Cli.run("status", second, "--json", "--coordinator", api.url()).out());
    assertEquals(first, done.get("rerunOf").asText());
    assertEquals(3, done.get("items").get("total").asLong(), done.toString());
    assertEquals(3, done.get("items").get("succeeded").asLong(), done.toString());
    ItemCounts.assertAddUp(done);
    List<String> lines = Files.readAllLines(in.resolve("out/half.tsv.rerun-" + second));
    assertEquals(List.of("1\tlate 1", "3\tlate 3", "5\tlate 5"), lines.stream().sorted().toList());
  }

  @Test
  void rerun_allItemsToAnOutputOfItsOwn_runsTheWholeInputThere() throws Exception {
    String first = finished(spec("half", 4));
    Path output = dir.resolve("again/all.tsv");

    Cli.Run rerun = Cli.run("rerun", first, "--output", output.toString(), "--wait", "--coordinator", api.url());

    assertEquals(0, rerun.code(), rerun.toString());
    String second = rerun.out().strip();
    JsonNode done = Json.mapper().readTree(Cli.run("status", second, "--json", "--coordinator", api.url()).out());
    assertEquals(4, done.get("items").get("total").asLong(), done.toString());
    assertEquals(2, done.get("items").get("failed").asLong(), "the odd items fail again: " + done);
    assertEquals(output.toString(), done.get("output").asText());
    assertEquals(2, Files.readAllLines(output).size());
    ItemCounts.assertAddUp(done);
  }

  @Test
  void rerun_runningUnknownOrWithoutFailures_oneLineExit1Or2() throws Exception {
    Path slow = dir.resolve("slow.conf");
    Files.writeString(slow, "name = slow\ninput.range { from = 1, to = 2 }\n"
        + "stages = [ { op = delay, millis = 600000 } ]\n");
    String running = Cli.run("submit", slow.toString(), "--coordinator", api.url()).out().strip();
    Path clean = dir.resolve("clean.conf");
    Files.writeString(clean, "name = clean\ninput.range { from = 1, to = 2 }\nstages = [ { op = delay, millis = 1 } ]\n");
    String ended = finished(clean);

    Cli.Run busy = Cli.run("rerun", running, "--coordinator", api.url());
    Cli.Run unknown = Cli.run("rerun", "nosuch-000000", "--failed-only", "--coordinator", api.url());
    Cli.Run none = Cli.run("rerun", ended, "--failed-only", "--coordinator", api.url());

    assertEquals(1, busy.code(), busy.toString());
    assertEquals("baton: job " + running + " is RUNNING: rerun it once it has ended\n", busy.err());
    assertEquals(2, unknown.code(), unknown.toString());
    assertEquals("baton: no job nosuch-000000\n", unknown.err());
    assertEquals(1, none.code(), none.toString());
    assertEquals("baton: job " + ended + " has no failed items to rerun\n", none.err());
    assertEquals("", busy.out() + unknown.out() + none.out());
    Cli.run("cancel", running, "--coordinator", api.url());
  }

  /** A spec over 1..items whose odd items fail in read-file (only even files exist in in/). */
  private Path spec(String name, int items) throws Exception {
    Path in = Files.createDirectories(dir.resolve("in"));
    for (int n = 2; n <= items; n += 2) {
      Files.writeString(in.resolve(Integer.toString(n)), "content " + n);
    }
    Path spec = in.resolve(name + ".conf");
    Files.writeString(spec, "name = " + name + "\ninput.range { from = 1, to = " + items + " }\n"
        + "stages = [ { op = read-file } ]\nretries = 0\nmax-failed-items = " + items + "\n"
        + "output = \"out/" + name + ".tsv\"\nerrors = \"out/" + name + ".failed.tsv\"\n");
    return spec;
  }

  /** Submits a spec and waits for the job's end; its id. */
  private String finished(Path spec) {
    Cli.Run submit = Cli.run("submit", spec.toString(), "--wait", "--coordinator", api.url());
    assertEquals(0, submit.code(), submit.toString());
    return submit.out().strip();
  }

  private static List<String> keys(JsonNode page) {
    List<String> keys = new ArrayList<>();
    page.get("items").forEach(item -> keys.add(item.get("key").asText()));
    return keys;
  }
}
