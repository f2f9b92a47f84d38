package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.ItemCounts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code baton run} in this JVM: output, JSON summary, exit codes, error messages and the job's own log. */
@ExtendWith(Cli.RestoresTestLogging.class)
final class RunCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @Test
  void run_readFileThenSha256_exit0OutputMatchesMessageDigestForEveryFile() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Map<String, String> expected = new HashMap<>();
    Random random = new Random(42);
    for (int i = 0; i < 25; i++) {
      byte[] content = new byte[random.nextInt(50_000)];
      random.nextBytes(content);
      Path file = Files.write(data.resolve("file-" + i + ".txt"), content);
      expected.put(file.toString(), sha256(content));
    }
    Files.writeString(data.resolve("ignored.bin"), "not matched by the glob");
    Path spec = write("checksums.conf", "name = checksums\ninput.files = \"data/*.txt\"\n"
        + "stages = [ { op = read-file }, { op = sha256 } ]\noutput = \"out/sums.tsv\"\n");

    Cli.Run run = Cli.run("run", spec.toString(), "--json", "--quiet", "--log-dir", dir.resolve("logs").toString());

    assertEquals(0, run.code(), run.toString());
    assertEquals("", run.err());
    assertEquals(expected, readTsv(dir.resolve("out/sums.tsv")));
    JsonNode summary = JSON.readTree(run.out());
    String id = summary.get("id").asText();
    assertTrue(id.matches("checksums-[0-9a-f]{6}"), id);
    assertEquals("checksums", summary.get("name").asText());
    assertEquals("SUCCEEDED", summary.get("state").asText());
    assertTrue(summary.get("durationMillis").asLong() >= 0, summary.toString());
    assertEquals(JSON.readTree("{\"total\":25,\"succeeded\":25,\"failed\":0,\"filtered\":0,\"notRun\":0}"),
        summary.get("items"));
    ItemCounts.assertAddUp(summary);
    // An ended job has no calls in flight: inFlight and parallelism are null.
    assertEquals(JSON.readTree("[{\"op\":\"read-file\",\"kind\":\"io\",\"done\":25,\"failed\":0,\"throttled\":null,"
        + "\"inFlight\":null,\"parallelism\":null},{\"op\":\"sha256\",\"kind\":\"cpu\",\"done\":25,\"failed\":0,"
        + "\"throttled\":null,\"inFlight\":null,\"parallelism\":null}]"), summary.get("stages"));
    assertTrue(summary.get("itemsPerSecond").asDouble() > 0, summary.toString());
    assertTrue(summary.get("etaMillis").isNull(), summary.toString());
    assertTrue(summary.get("stateMillis").has("RUNNING"), summary.toString());
    assertTrue(summary.get("error").isNull(), summary.toString());
    assertEquals(dir.resolve("out/sums.tsv").toString(), summary.get("output").asText());
    String log = Files.readString(dir.resolve("logs/jobs/" + id + ".log"));
    assertTrue(log.contains("accepted job " + id + " (checksums)"), log);
    assertTrue(log.contains("started job " + id), log);
    assertTrue(log.contains("job " + id + " SUCCEEDED"), log);
    assertTrue(Files.exists(dir.resolve("logs/baton.log")));
  }

  @Test
  void run_missingFileWithMaxFailedItemsZero_exit1AndTheJobLogNamesKeyAndReason() throws Exception {
    Files.writeString(dir.resolve("present.txt"), "here");
    Files.writeString(dir.resolve("list.txt"), "present.txt\nmissing.txt\n");
    Path spec = write("some-missing.conf", "input.lines = list.txt\nstages = [ { op = read-file } ]\n"
        + "retries = 0\nmax-failed-items = 0\n");

    Cli.Run run = Cli.run("run", spec.toString(), "--json", "--quiet", "--log-dir", dir.resolve("logs").toString());

    assertEquals(1, run.code(), run.toString());
    JsonNode summary = JSON.readTree(run.out());
    assertEquals("FAILED", summary.get("state").asText());
    assertEquals("stopped after 1 item failed (max-failed-items = 0)", summary.get("error").asText());
    assertEquals(1, summary.get("items").get("failed").asLong());
    ItemCounts.assertAddUp(summary);
    String id = summary.get("id").asText();
    String log = Files.readString(dir.resolve("logs/jobs/" + id + ".log"));
    assertTrue(log.contains("accepted job " + id), log);
    assertTrue(log.contains("item failed: key missing.txt in stage 1 (read-file): no such file: "
        + dir.resolve("missing.txt")), log);
    assertTrue(log.contains("job " + id + " FAILED"), log);
  }

  @RepeatedTest(5)
  void run_failingJobStoppedMidStream_jobLogEndsWithTheFailedLine() throws Exception {
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < 2000; i++) {
      list.append("missing-").append(i).append(".txt\n");
    }
    Files.writeString(dir.resolve("list.txt"), list);
    Path spec = write("stops.conf", "input.lines = list.txt\nstages = [ { op = read-file } ]\n"
        + "retries = 0\nmax-failed-items = 0\n");

    Cli.Run run = Cli.run("run", spec.toString(), "--json", "--quiet", "--log-dir", dir.resolve("logs").toString());

    assertEquals(1, run.code(), run.toString());
    String id = JSON.readTree(run.out()).get("id").asText();
    List<String> log = Files.readAllLines(dir.resolve("logs/jobs/" + id + ".log"));
    String last = log.get(log.size() - 1);
    assertTrue(last.contains("job " + id + " FAILED in "), "the job log's last line: " + last);
    assertTrue(Files.readString(dir.resolve("logs/baton.log")).contains("job " + id + " FAILED in "));
  }

  @Test
  void run_threeMissingFilesWithMaxFailedItemsZero_eachFailedItemLoggedWithKeyAndReasonAndCountsAddUp()
      throws Exception {
    Files.writeString(dir.resolve("list.txt"), "gone-1.txt\ngone-2.txt\ngone-3.txt\n");
    Path spec = write("all-missing.conf", "input.lines = list.txt\nstages = [ { op = read-file } ]\n"
        + "retries = 0\nmax-failed-items = 0\n");

    Cli.Run run = Cli.run("run", spec.toString(), "--json", "--quiet", "--log-dir", dir.resolve("logs").toString());

    assertEquals(1, run.code(), run.toString());
    JsonNode summary = JSON.readTree(run.out());
    assertEquals("FAILED", summary.get("state").asText());
    assertEquals("stopped after 1 item failed (max-failed-items = 0)", summary.get("error").asText());
    assertEquals(3, summary.get("items").get("total").asLong(), summary.toString());
    ItemCounts.assertAddUp(summary);
    String log = Files.readString(dir.resolve("logs/jobs/" + summary.get("id").asText() + ".log"));
    List<String> failedLines = log.lines().filter(line -> line.contains("item failed: key")).toList();
    // The three reads fail at about the same time; each that fails before the stop takes effect is a failed item
    // with its line, any other is not run (JobTest pins down the three-at-once case).
    assertEquals(summary.get("items").get("failed").asLong(), failedLines.size(), log);
    for (int n = 1; n <= 3; n++) {
      String key = "gone-" + n + ".txt";
      assertTrue(failedLines.stream().filter(line -> line.contains("item failed: key " + key + " in stage 1 "
          + "(read-file): no such file: " + dir.resolve(key))).count() <= 1, log);
    }
    assertTrue(failedLines.stream().allMatch(line -> line.contains(": no such file: ")), log);
  }

  @Test
  void run_withoutJson_printsTheSummaryTable() throws Exception {
    Path spec = write("table.conf", "input.range { from = 1, to = 7 }\nstages = [ { op = delay, millis = 1 } ]\n");

    Cli.Run run = Cli.run("run", spec.toString(), "--quiet", "--log-dir", dir.resolve("logs").toString());

    assertEquals(0, run.code(), run.toString());
    assertTrue(run.out().contains("SUCCEEDED"), run.out());
    assertTrue(run.out().contains("items   7 total, 7 succeeded, 0 failed, 0 filtered, 0 not run"), run.out());
    assertTrue(run.out().contains(dir.resolve("logs").resolve("jobs").toString()), run.out());
  }

  @Test
  void run_humanSummary_listsItemsPerNode() throws Exception {
    Path spec = write("nodes.conf", "input.range { from = 1, to = 7 }\nstages = [ { op = sha256 } ]\n");

    Cli.Run run = Cli.run("run", spec.toString(), "--quiet", "--log-dir", dir.resolve("logs").toString());

    assertEquals(0, run.code(), run.toString());
    assertTrue(run.out().lines().anyMatch(line -> line.matches("pekko://baton\\s+7")), run.out());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      unparseable HOCON | stages = [ { op =                                               | bad.conf:1:
      unknown op        | input.range { from = 1, to = 3 }\\nstages = [ { op = nope } ] | bad.conf:2: stage 1: unknown op nope; known ops: delay, grep, gunzip, gzip, http-get, read-file, sha256, word-count, write-file
      missing stages    | input.range { from = 1, to = 3 }                                | bad.conf: missing stages
      glob matching none| input.files = "none/*.txt"\\nstages = [ { op = read-file } ]   | input.files none/*.txt matches no file
      bad param type    | input.range { from = 1, to = 3 }\\nstages = [ { op = delay, millis = soon } ] | bad.conf:2: op delay: millis
      unknown key       | input.range { from = 1, to = 3 }\\nstages = [ { op = delay, milis = 5 } ] | unknown parameter of op delay 'milis'
      """)
  void run_badSpec_exit2WithOneClearLineOnStderr(String what, String spec, String expected) throws Exception {
    Path file = write("bad.conf", spec.replace("\\n", "\n"));

    Cli.Run run = Cli.run("run", file.toString(), "--json", "--log-dir", dir.resolve("logs").toString());

    assertEquals(2, run.code(), run.toString());
    assertEquals("", run.out());
    assertTrue(run.err().startsWith("baton: "), run.err());
    assertTrue(run.err().contains(expected), run.err());
    assertEquals(1, run.err().lines().count(), run.err());
    assertNoStackTrace(run);
  }

  @Test
  void run_noSuchSpecFile_exit2() {
    Cli.Run run = Cli.run("run", dir.resolve("absent.conf").toString());

    assertEquals(2, run.code(), run.toString());
    assertEquals("baton: no such spec file: " + dir.resolve("absent.conf") + "\n", run.err());
  }

  @Test
  void run_specIsADirectory_exit2WithOneLine() {
    Cli.Run run = Cli.run("run", dir.toString());

    assertEquals(2, run.code(), run.toString());
    assertEquals("baton: " + dir + " is a directory, not a spec file\n", run.err());
  }

  @Test
  void submit_specIsADirectory_exit2BeforeAskingTheCoordinator() {
    Cli.Run run = Cli.run("submit", dir.toString(), "--coordinator", "127.0.0.1:1");

    assertEquals(2, run.code(), run.toString());
    assertEquals("baton: " + dir + " is a directory, not a spec file\n", run.err());
  }

  @Test
  void submit_noSuchSpecFile_exit2BeforeAskingTheCoordinator() {
    Cli.Run run = Cli.run("submit", dir.resolve("absent.conf").toString(), "--coordinator", "127.0.0.1:1");

    assertEquals(2, run.code(), run.toString());
    assertEquals("baton: no such spec file: " + dir.resolve("absent.conf") + "\n", run.err());
  }

  @Test
  void run_zeroWorkers_exit2() throws Exception {
    Path spec = write("ok.conf", "input.range { from = 1, to = 3 }\nstages = [ { op = sha256 } ]\n");

    Cli.Run run = Cli.run("run", spec.toString(), "--workers", "0");

    assertEquals(2, run.code(), run.toString());
    assertEquals("baton: --workers must be at least 1, got 0\n", run.err());
  }

  @Test
  void run_missingClasspathEntry_exit2() throws Exception {
    Path spec = write("ok.conf", "input.range { from = 1, to = 3 }\nstages = [ { op = sha256 } ]\n");

    Cli.Run run = Cli.run("run", spec.toString(), "--classpath", dir.resolve("nope.jar").toString());

    assertEquals(2, run.code(), run.toString());
    assertTrue(run.err().contains("--classpath entry " + dir.resolve("nope.jar") + " does not exist"), run.err());
    assertNoStackTrace(run);
  }

  @Test
  void help_andVersion_exit0() {
    Cli.Run help = Cli.run("--help");
    Cli.Run runHelp = Cli.run("run", "--help");
    Cli.Run version = Cli.run("--version");

    assertEquals(0, help.code(), help.toString());
    assertTrue(help.out().contains("Usage: baton") && help.out().contains("run"), help.out());
    assertEquals(0, runHelp.code(), runHelp.toString());
    assertTrue(runHelp.out().contains("Usage: baton run") && runHelp.out().contains("--log-dir"), runHelp.out());
    assertEquals(0, version.code(), version.toString());
    assertTrue(version.out().startsWith("baton "), version.out());
  }

  @Test
  void unknownOption_exit2WithoutStackTrace() {
    Cli.Run run = Cli.run("run", "--no-such-option", "x.conf");

    assertEquals(2, run.code(), run.toString());
    assertTrue(run.err().contains("--no-such-option"), run.err());
    assertNoStackTrace(run);
  }

  private Path write(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }

  private static void assertNoStackTrace(Cli.Run run) {
    assertFalse(run.err().contains("Exception") || run.err().contains("\tat "), run.err());
  }

  private static Map<String, String> readTsv(Path file) throws Exception {
    Map<String, String> lines = new HashMap<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String[] parts = line.split("\t", -1);
      assertEquals(2, parts.length, line);
      assertEquals(null, lines.put(parts[0], parts[1]), "key twice: " + parts[0]);
    }
    return lines;
  }

  private static String sha256(byte[] content) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
  }
}
