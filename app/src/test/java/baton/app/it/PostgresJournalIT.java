package baton.app.it;

import static baton.app.it.ApiJson.pulling;
import static baton.app.it.ApiJson.read;
import static baton.app.it.BatonProcesses.assertSha256Output;
import static baton.app.it.BatonProcesses.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.app.cli.Cli.Run;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code baton coordinator --journal-url jdbc:postgresql://...} with a node, on a real PostgreSQL (embedded, from
 * Maven): a coordinator killed or stopped mid-job and started again on the same URL, with a data dir of its own each
 * time (the journal is not there), resumes the job to an exact output and keeps the history. Each test has a fresh
 * database; every process is stopped by pid.
 */
final class PostgresJournalIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ITEMS = 3000;
  private static final int ROUNDS = 15000;
  @RegisterExtension
  static final TestPostgres POSTGRES = new TestPostgres();

  @TempDir
  Path dir;

  @Test
  void coordinatorKilledMidJob_startedAgainOnTheSameJournalUrl_jobResumesEveryItemOnceHistoryKept() throws Exception {
    stoppedMidJobAndStartedAgain(null);
  }

  @Test
  void coordinatorStoppedWithSigterm_startedAgainOnTheSameJournalUrl_jobResumesEveryItemOnceNewJobRuns()
      throws Exception {
    stoppedMidJobAndStartedAgain("TERM");
  }

  /** Kills the coordinator (signal null) or stops it with a signal, mid-job, and starts it again. */
  private void stoppedMidJobAndStartedAgain(String signal) throws Exception {
    String url = POSTGRES.newDatabase();
    try (BatonProcesses processes = new BatonProcesses(dir)) {
      int clusterPort = BatonProcesses.freePort();
      int httpPort = BatonProcesses.freePort();
      int nodePort = BatonProcesses.freePort();
      String node = "pekko://baton@127.0.0.1:" + nodePort;
      Process coordinator = startCoordinator(processes, url, clusterPort, httpPort, 1);
      processes.start("node", "node", "--seed", "127.0.0.1:" + clusterPort, "--port", Integer.toString(nodePort),
          "--workers", "1", "--log-dir", dir.resolve("logs-node").toString());
      processes.awaitApi(httpPort, "/api/nodes", body -> pulling(body).contains(node), Duration.ofSeconds(90));
      String coordinatorUrl = "http://127.0.0.1:" + httpPort;

      Path small = dir.resolve("history.conf");
      Files.writeString(small, "name = history\ninput.range { from = 1, to = 20 }\nstages = [ { op = sha256 } ]\n");
      Run before = cli("submit", small.toString(), "--wait", "--coordinator", coordinatorUrl);
      assertEquals(0, before.code(), before.err());
      Path spec = dir.resolve("resume.conf");
      Files.writeString(spec, "name = resume\ninput.range { from = 1, to = " + ITEMS + " }\n"
          + "stages = [ { op = delay, millis = 1, parallelism = 100 }, { op = sha256, rounds = " + ROUNDS + " } ]\n"
          + "output = \"out/resume.tsv\"\n");
      Run submit = cli("submit", spec.toString(), "--coordinator", coordinatorUrl);
      assertEquals(0, submit.code(), submit.err());
      String id = submit.out().strip();
      // Past a checkpoint (one a second) and well before the end.
      awaitJob(processes, httpPort, id, job -> job.path("items").path("succeeded").asLong() >= 600,
          Duration.ofSeconds(90));

      long stoppedAt = System.nanoTime();
      if (signal == null) {
        processes.kill(coordinator);
      } else {
        processes.signal(coordinator, signal, Duration.ofSeconds(30));
      }
      startCoordinator(processes, url, clusterPort, httpPort, 2);
      processes.awaitApi(httpPort, "/api/nodes", body -> pulling(body).contains(node), Duration.ofSeconds(60));
      System.out.printf("PostgresJournalIT: %s; the node back in the new coordinator's cluster %d ms later%n",
          signal == null ? "SIGKILL" : "SIG" + signal, (System.nanoTime() - stoppedAt) / 1_000_000);

      JsonNode done = awaitJob(processes, httpPort, id, job -> !job.path("finishedAt").isNull()
          && !job.path("finishedAt").isMissingNode(), Duration.ofSeconds(180));
      assertEquals("SUCCEEDED", done.get("state").asText(), done.toString());
      JsonNode counts = done.get("items");
      assertEquals(ITEMS, counts.get("total").asLong(), done.toString());
      assertEquals(ITEMS, counts.get("succeeded").asLong() + counts.get("failed").asLong()
          + counts.get("filtered").asLong() + counts.get("notRun").asLong(), done.toString());
      assertEquals(ITEMS, counts.get("succeeded").asLong(), done.toString());
      assertSha256Output(dir.resolve("out/resume.tsv"), ITEMS, ROUNDS);
      String jobLog = Files.readString(dir.resolve("logs-coordinator-2/jobs/" + id + ".log"));
      Matcher resumed = Pattern.compile("resuming job " + id + " after a restart: (\\d+) items already done")
          .matcher(jobLog);
      assertTrue(resumed.find(), jobLog);
      long alreadyDone = Long.parseLong(resumed.group(1));
      assertTrue(alreadyDone > 0 && alreadyDone < ITEMS, jobLog);

      Run list = cli("list", "--json", "--coordinator", coordinatorUrl);
      assertEquals(0, list.code(), list.err());
      List<String> ids = new ArrayList<>();
      JSON.readTree(list.out()).forEach(job -> ids.add(job.get("id").asText()));
      assertEquals(List.of(before.out().strip(), id), ids);

      Path after = dir.resolve("after.conf");
      Files.writeString(after, "name = after\ninput.range { from = 1, to = 200 }\n"
          + "stages = [ { op = sha256, rounds = 100 } ]\noutput = \"out/after.tsv\"\n");
      Run next = cli("submit", after.toString(), "--wait", "--coordinator", coordinatorUrl);
      assertEquals(0, next.code(), next.err());
      assertSha256Output(dir.resolve("out/after.tsv"), 200, 100);
    }
  }

  /** A coordinator on the journal URL, with a data dir and log dir of its own for each start. */
  private Process startCoordinator(BatonProcesses processes, String url, int clusterPort, int httpPort,
      int generation) throws Exception {
    return processes.start("coordinator-" + generation, "coordinator", "--journal-url", url, "--port",
        Integer.toString(clusterPort), "--http-port", Integer.toString(httpPort), "--workers", "0", "--data-dir",
        dir.resolve("data-" + generation).toString(), "--log-dir", dir.resolve("logs-coordinator-" + generation)
            .toString());
  }

  private static JsonNode awaitJob(BatonProcesses processes, int httpPort, String id, Predicate<JsonNode> check,
      Duration patience) throws Exception {
    return read(processes.awaitApi(httpPort, "/api/jobs/" + id, text -> check.test(read(text)), patience));
  }

}
