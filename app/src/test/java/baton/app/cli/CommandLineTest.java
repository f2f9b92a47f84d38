package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** What a user meets first: usage, help, typos, a process that cannot start, and where its log goes. */
@ExtendWith(Cli.RestoresTestLogging.class)
final class CommandLineTest {

  @TempDir
  Path dir;

  @Test
  void baton_noArguments_usageOnStderrExit2() {
    Cli.Run run = Cli.run();

    assertEquals(2, run.code(), run.toString());
    assertEquals("", run.out());
    assertTrue(run.err().contains("Usage: baton"), run.err());
  }

  @Test
  void help_listsBenchAndTheExitCodes() {
    Cli.Run run = Cli.run("--help");

    assertEquals(0, run.code(), run.toString());
    assertTrue(run.out().lines().anyMatch(line -> line.strip().startsWith("bench ")), run.out());
    assertTrue(run.out().contains("4") && run.out().contains("could not start"), run.out());
    assertTrue(run.out().contains("130"), run.out());
  }

  @Test
  void bench_throughTheJar_pointsToBinBatonExit2() {
    Cli.Run run = Cli.run("bench");

    assertEquals(2, run.code(), run.toString());
    assertTrue(run.err().contains("bin/baton bench"), run.err());
  }

  @Test
  void misspelledOption_suggestsTheClosestExit2() {
    Cli.Run run = Cli.run("run", "--wrokers", "2", "job.conf");

    assertEquals(2, run.code(), run.toString());
    assertTrue(run.err().contains("--wrokers"), run.err());
    assertTrue(run.err().contains("Did you mean") && run.err().contains("--workers"), run.err());
  }

  @Test
  void coordinator_httpPortTaken_exit4WithOneClearLine() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Cli.Run run = Cli.run("coordinator", "--port", Integer.toString(freePort()),
          "--http-port", Integer.toString(taken.getLocalPort()), "--log-dir", dir.resolve("logs").toString(),
          "--data-dir", dir.resolve("data").toString());

      assertEquals(4, run.code(), run.toString());
      assertTrue(run.err().contains("cannot serve the API on 127.0.0.1:" + taken.getLocalPort()), run.err());
      assertFalse(run.err().contains("\tat "), run.err());
    }
  }

  @Test
  void coordinator_clusterPortTaken_exit4() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Cli.Run run = Cli.run("coordinator", "--port", Integer.toString(taken.getLocalPort()),
          "--http-port", "0", "--log-dir", dir.resolve("logs").toString(),
          "--data-dir", dir.resolve("data").toString());

      assertEquals(4, run.code(), run.toString());
      assertTrue(run.err().contains("cannot start the coordinator on 127.0.0.1:" + taken.getLocalPort()),
          run.err());
    }
  }

  @Test
  void coordinator_twoSeedsOnPostgres_acceptedAndGoesOnToTheJournal() throws Exception {
    int port = freePort();
    Cli.Run run = Cli.run("coordinator", "--port", Integer.toString(port), "--seed", "127.0.0.1:" + port,
        "--seed", "127.0.0.1:" + freePort(), "--http-port", "0",
        "--journal-url", "jdbc:postgresql://127.0.0.1:" + freePort() + "/baton?user=baton",
        "--log-dir", dir.resolve("logs").toString(), "--data-dir", dir.resolve("data").toString());

    // It got as far as the journal (no server there), so both seeds were taken.
    assertEquals(75, run.code(), run.toString());
    assertTrue(run.err().contains("cannot reach the journal's PostgreSQL"), run.err());
  }

  @Test
  void coordinator_otherSeedWithTheJournalInItsDataDir_exit2NamingJournalUrl() throws Exception {
    int port = freePort();
    Cli.Run run = Cli.run("coordinator", "--port", Integer.toString(port), "--seed", "127.0.0.1:" + port,
        "--seed", "127.0.0.1:" + freePort(), "--http-port", "0", "--log-dir", dir.resolve("logs").toString(),
        "--data-dir", dir.resolve("data").toString());

    assertEquals(2, run.code(), run.toString());
    assertEquals(1, run.err().lines().count(), run.err());
    assertTrue(run.err().contains("share one journal") && run.err().contains("--journal-url"), run.err());
  }

  @Test
  void coordinator_badSeed_exit2WithOneLine() {
    Cli.Run run = Cli.run("coordinator", "--seed", "127.0.0.1:2551", "--seed", "nowhere", "--http-port", "0",
        "--log-dir", dir.resolve("logs").toString(), "--data-dir", dir.resolve("data").toString());

    assertEquals(2, run.code(), run.toString());
    assertTrue(run.err().contains("--seed must be HOST:PORT") && run.err().contains("got nowhere"), run.err());
  }

  @Test
  void node_secondSeedBad_exit2NamingIt() {
    Cli.Run run = Cli.run("node", "--seed", "127.0.0.1:2551", "--seed", "127.0.0.1", "--log-dir",
        dir.resolve("logs").toString());

    assertEquals(2, run.code(), run.toString());
    assertTrue(run.err().contains("--seed must be HOST:PORT") && run.err().contains("got 127.0.0.1"), run.err());
  }

  @Test
  void coordinator_processLog_namedForItsClusterPort() throws Exception {
    int port = freePort();
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Cli.run("coordinator", "--port", Integer.toString(port), "--http-port", Integer.toString(taken.getLocalPort()),
          "--log-dir", dir.resolve("logs").toString(), "--data-dir", dir.resolve("data").toString());
    }

    assertTrue(Files.exists(dir.resolve("logs/coordinator-" + port + ".log")));
    assertFalse(Files.exists(dir.resolve("logs/baton.log")), "two coordinators would share baton.log");
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
