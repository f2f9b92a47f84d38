package baton.app.it;

import static baton.app.it.ApiJson.read;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The errors file of a job whose coordinator dies (SIGKILL) or is stopped (SIGTERM) mid-job and is started again on
 * its data dir: each failed item is in it exactly once, as each succeeded item is in the output, and
 * {@code baton failures} counts them. A real coordinator process on loopback ports, stopped by pid at the end.
 */
final class FailuresIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ITEMS = 3000;

  @TempDir
  Path dir;

  @Test
  void errorsFile_coordinatorKilledMidJobAndStartedAgain_eachFailedItemOnce() throws Exception {
    coordinatorStoppedMidJob(null);
  }

  @Test
  void errorsFile_coordinatorStoppedWithSigtermMidJobAndStartedAgain_eachFailedItemOnce() throws Exception {
    coordinatorStoppedMidJob("TERM");
  }

  /** Stops the coordinator with {@code signal}, or kills it when null, once the job is past a checkpoint. */
  private void coordinatorStoppedMidJob(String signal) throws Exception {
    Path in = Files.createDirectories(dir.resolve("in"));
    for (int n = 2; n <= ITEMS; n += 2) {
      Files.writeString(in.resolve(Integer.toString(n)), "content " + n);
    }
    // read-file fails every odd item (no such file), once: retries = 0.
    Path spec = in.resolve("half.conf");
    Files.writeString(spec, "name = half\ninput.range { from = 1, to = " + ITEMS + " }\n"
        + "stages = [ { op = delay, millis = 10, parallelism = 8 }, { op = read-file } ]\n"
        + "retries = 0\nmax-failed-items = " + ITEMS + "\noutput = \"out/half.tsv\"\n"
        + "errors = \"out/failed.tsv\"\n");
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      int clusterPort = BatonProcesses.freePort();
      int httpPort = BatonProcesses.freePort();
      Process first = startCoordinator(processes, clusterPort, httpPort, 1);
      processes.awaitApi(httpPort, "/api/health", body -> body.contains("\"ok\""), Duration.ofSeconds(60));
      String url = "http://127.0.0.1:" + httpPort;
      Run submit = cli("submit", spec.toString(), "--coordinator", url);
      assertEquals(0, submit.code(), submit.err());
      String id = submit.out().strip();
      // Past a checkpoint (one a second) and well before the end.
      processes.awaitApi(httpPort, "/api/jobs/" + id, body -> read(body).path("items").path("failed").asLong()
          >= 600, Duration.ofSeconds(90));

      if (signal == null) {
        processes.kill(first);
      } else {
        processes.signal(first, signal, Duration.ofSeconds(30));
      }
      startCoordinator(processes, clusterPort, httpPort, 2);
      JsonNode done = read(processes.awaitApi(httpPort, "/api/jobs/" + id, body -> !read(body).path("finishedAt")
          .isNull() && !read(body).path("finishedAt").isMissingNode(), Duration.ofSeconds(120)));

      assertEquals("SUCCEEDED", done.get("state").asText(), done.toString());
      assertEquals(ITEMS, done.get("items").get("total").asLong(), done.toString());
      assertEquals(ITEMS / 2, done.get("items").get("failed").asLong(), done.toString());
      ItemCounts.assertAddUp(done);
      Set<String> odd = new TreeSet<>();
      for (int n = 1; n <= ITEMS; n += 2) {
        odd.add(Integer.toString(n));
      }
      assertEquals(odd, keysOnce(in.resolve("out/failed.tsv")));
      assertEquals(ITEMS / 2, keysOnce(in.resolve("out/half.tsv")).size());
      Run failures = cli("failures", id, "--json", "--limit", "1", "--coordinator", url);
      assertEquals(0, failures.code(), failures.err());
      assertEquals(ITEMS / 2, JSON.readTree(failures.out()).get("total").asLong());
      String jobLog = Files.readString(dir.resolve("logs-2/jobs/" + id + ".log"));
      Matcher resumed = Pattern.compile("resuming job " + id + " after a restart: (\\d+) items already done")
          .matcher(jobLog);
      assertTrue(resumed.find(), jobLog);
      long alreadyDone = Long.parseLong(resumed.group(1));
      System.out.printf("FailuresIT: SIG%s; the resumed job had %d of %d items done%n",
          signal == null ? "KILL" : signal, alreadyDone, ITEMS);
      assertTrue(alreadyDone > 0 && alreadyDone < ITEMS, "resumed with " + alreadyDone + " done");
    }
  }

  private Process startCoordinator(BatonProcesses processes, int clusterPort, int httpPort, int generation)
      throws Exception {
    return processes.start("coordinator-" + generation, "coordinator", "--port", Integer.toString(clusterPort),
        "--http-port", Integer.toString(httpPort), "--workers", "0", "--data-dir", dir.resolve("data").toString(),
        "--log-dir", dir.resolve("logs-" + generation).toString());
  }

  /** The keys of a TSV file's lines, failing when one is there twice. */
  private static Set<String> keysOnce(Path file) throws Exception {
    Set<String> keys = new TreeSet<>();
    List<String> twice = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      String key = line.substring(0, line.indexOf('\t'));
      if (!keys.add(key)) {
        twice.add(key);
      }
    }
    assertEquals(List.of(), twice, "written twice in " + file);
    return keys;
  }

}
