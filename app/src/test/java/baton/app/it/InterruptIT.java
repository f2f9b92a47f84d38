package baton.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.ItemCounts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Ctrl-C (SIGINT) and SIGTERM to {@code baton run} in a real process: the job is cancelled, not lost. */
final class InterruptIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ITEMS = 100_000;

  @TempDir
  Path dir;

  @ParameterizedTest(name = "SIG{0}")
  @CsvSource({"INT, 130", "TERM, 143"})
  void run_signalMidJob_cancelsPrintsTheSummaryAndLeavesWholeLines(String signal, int code) throws Exception {
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      Process run = startSlowJob(processes);
      awaitOutput(run, dir.resolve("out/slow.tsv"));

      BatonProcesses.signal(run, signal);

      assertTrue(run.waitFor(60, TimeUnit.SECONDS), "baton run did not end after SIG" + signal);
      String printed = Files.readString(dir.resolve("run.out"));
      assertEquals(code, run.exitValue(), printed);
      JsonNode summary = JSON.readTree(printed.lines().filter(line -> line.startsWith("{")).findFirst()
          .orElseThrow(() -> new AssertionError("no JSON summary: " + printed)));
      assertEquals("CANCELLED", summary.get("state").asText(), printed);
      JsonNode items = summary.get("items");
      long succeeded = items.get("succeeded").asLong();
      assertTrue(succeeded > 0 && succeeded < ITEMS, printed);
      // The total is every item, also when the cancel came before the input was all read; the rest is not run.
      assertEquals(ITEMS, items.get("total").asLong(), printed);
      ItemCounts.assertAddUp(summary);
      assertTrue(printed.contains("baton: interrupted: cancelling job " + summary.get("id").asText()), printed);
      List<String> log = Files.readAllLines(dir.resolve("logs/jobs/" + summary.get("id").asText() + ".log"));
      String last = log.get(log.size() - 1);
      assertTrue(last.contains("job " + summary.get("id").asText() + " CANCELLED in "), last);
      assertWholeDistinctLines(dir.resolve("out/slow.tsv"), succeeded);
    }
  }

  @Test
  void run_sigintWhileWorkersAreBusy_exitsWithinTheStopTimeout() throws Exception {
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      Process run = startBusyJob(processes, List.of("-Dbaton.run.stop-timeout=2s"));

      long sentAt = System.nanoTime();
      BatonProcesses.signal(run, "INT");

      // Each worker holds a batch of items that hash for seconds each: waiting for them would take minutes.
      assertTrue(run.waitFor(20, TimeUnit.SECONDS), "baton run waits for its busy workers after SIGINT");
      long millis = (System.nanoTime() - sentAt) / 1_000_000;
      String printed = Files.readString(dir.resolve("run.out"));
      assertEquals(130, run.exitValue(), printed);
      assertTrue(printed.contains("\"state\":\"CANCELLED\""), printed);
      assertTrue(millis < 15_000, "exiting took " + millis + " ms");
    }
  }

  @Test
  void run_secondSigintWhileTheStopWaitsForBusyWorkers_stopsAtOnce() throws Exception {
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      Process run = startBusyJob(processes, List.of("-Dbaton.run.stop-timeout=120s"));

      BatonProcesses.signal(run, "INT");
      awaitPrinted(run, printed -> printed.contains("\"state\":\"CANCELLED\""), dir.resolve("run.out"));
      long secondAt = System.nanoTime();
      BatonProcesses.signal(run, "INT");

      assertTrue(run.waitFor(10, TimeUnit.SECONDS), "baton run still waits for its workers after a second SIGINT");
      long millis = (System.nanoTime() - secondAt) / 1_000_000;
      String printed = Files.readString(dir.resolve("run.out"));
      assertEquals(130, run.exitValue(), printed);
      assertTrue(printed.contains("baton: stopped at once (SIGINT again)"), printed);
      assertTrue(millis < 5_000, "stopping took " + millis + " ms");
    }
  }

  /** A cpu job whose items hash for seconds each, started and working. */
  private Process startBusyJob(BatonProcesses processes, List<String> jvmOptions) throws Exception {
    Path spec = Files.writeString(dir.resolve("busy.conf"), "name = busy\ninput.range { from = 1, to = 1000 }\n"
        + "stages = [ { op = sha256, rounds = 10000000 } ]\n");
    Process run = processes.startInterruptible("run", jvmOptions, "run", spec.toString(), "--json", "--quiet",
        "--log-dir", dir.resolve("logs").toString());
    awaitPrinted(run, log -> log.contains("working on job busy-"), dir.resolve("logs/baton.log"));
    return run;
  }

  /** Waits, polling with a deadline, until a file the process writes passes the check. */
  private void awaitPrinted(Process run, Predicate<String> check, Path file) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (!(Files.exists(file) && check.test(Files.readString(file)))) {
      if (!run.isAlive()) {
        throw new AssertionError("baton run ended early (exit " + run.exitValue() + "): "
            + Files.readString(dir.resolve("run.out")));
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(file + " did not pass in 60 s: " + Files.readString(dir.resolve("run.out")));
      }
      TimeUnit.MILLISECONDS.sleep(100); // polling interval of an await with a deadline
    }
  }

  private Process startSlowJob(BatonProcesses processes) throws Exception {
    Path spec = Files.writeString(dir.resolve("slow.conf"), "name = slow\ninput.range { from = 1, to = " + ITEMS
        + " }\nstages = [ { op = delay, millis = 50 } ]\noutput = \"out/slow.tsv\"\n");
    return processes.startInterruptible("run", List.of(), "run", spec.toString(), "--json", "--quiet",
        "--log-dir", dir.resolve("logs").toString());
  }

  /** Waits, polling with a deadline, until the job has written some lines of its output. */
  private void awaitOutput(Process run, Path output) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (!(Files.exists(output) && Files.size(output) > 0)) {
      if (!run.isAlive()) {
        throw new AssertionError("baton run ended early (exit " + run.exitValue() + "): "
            + Files.readString(dir.resolve("run.out")));
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("no output after 60 s: " + Files.readString(dir.resolve("run.out")));
      }
      TimeUnit.MILLISECONDS.sleep(100); // polling interval of an await with a deadline
    }
  }

  private static void assertWholeDistinctLines(Path output, long expected) throws Exception {
    String text = Files.readString(output, StandardCharsets.UTF_8);
    assertTrue(text.endsWith("\n"), "the output ends mid-line: ..." + text.substring(Math.max(0, text.length() - 40)));
    Set<String> keys = new HashSet<>();
    for (String line : text.split("\n")) {
      String[] parts = line.split("\t", -1);
      assertEquals(2, parts.length, "not a whole line: " + line);
      assertEquals(parts[0], parts[1], line);
      assertTrue(keys.add(parts[0]), "item " + parts[0] + " written twice");
    }
    assertEquals(expected, keys.size(), "output lines vs the summary's succeeded");
  }
}
