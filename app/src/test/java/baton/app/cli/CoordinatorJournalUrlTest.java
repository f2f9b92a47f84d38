package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.app.it.TestPostgres;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code baton coordinator --journal-url} that cannot work: one line that names what failed (never the password),
 * an exit code that fits, no stack trace.
 */
final class CoordinatorJournalUrlTest {

  private static final String SECRET = "hunter2";
  @RegisterExtension
  static final TestPostgres POSTGRES = new TestPostgres();

  @TempDir
  Path dir;

  @AfterEach
  void restore() throws Exception {
    Cli.restoreTestLogging();
  }

  @Test
  void coordinator_journalUrlNotPostgres_badInputInOneLine() {
    Cli.Run run = coordinator("postgres://127.0.0.1/baton?password=" + SECRET);

    assertOneLine(run, ExitCodes.BAD_INPUT, "--journal-url takes a PostgreSQL URL");
  }

  @Test
  void coordinator_journalUrlTheDriverCannotRead_badInputInOneLineAndNothingFromTheDriver() {
    // The driver logs through java.util.logging, whose console handler writes to stderr beside our one line.
    List<String> driverLog = new ArrayList<>();
    Logger driver = Logger.getLogger("org.postgresql");
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord record) {
        driverLog.add(record.getLevel() + " " + record.getMessage());
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    driver.addHandler(handler);
    Cli.Run run;
    try {
      run = coordinator("jdbc:postgresql://127.0.0.1:notaport/baton?password=" + SECRET);
    } finally {
      driver.removeHandler(handler);
    }

    assertOneLine(run, ExitCodes.BAD_INPUT, "is not one PostgreSQL's driver reads");
    assertEquals(List.of(), driverLog);
  }

  @Test
  void coordinator_noServerAtTheUrl_journalUnreachableInOneLine() throws IOException {
    int port = freePort();
    Cli.Run run = coordinator("jdbc:postgresql://127.0.0.1:" + port + "/baton?user=baton&password=" + SECRET);

    assertOneLine(run, ExitCodes.JOURNAL_UNREACHABLE, "cannot reach the journal's PostgreSQL at jdbc:postgresql://"
        + "127.0.0.1:" + port + "/baton:");
  }

  @Test
  void coordinator_wrongPassword_cannotStartInOneLine() {
    String user = POSTGRES.newUser("right-" + SECRET);
    String url = POSTGRES.newDatabase().replace("user=postgres", "user=" + user);
    Cli.Run run = coordinator(url + "&password=" + SECRET);

    assertOneLine(run, ExitCodes.CANNOT_START, "password authentication failed for user \"" + user + "\"");
  }

  @Test
  void coordinator_databaseMissing_cannotStartInOneLine() {
    Cli.Run run = coordinator(POSTGRES.url("nothing_here") + "&password=" + SECRET);

    assertOneLine(run, ExitCodes.CANNOT_START, "database \"nothing_here\" does not exist");
  }

  private Cli.Run coordinator(String journalUrl) {
    try {
      return Cli.run("coordinator", "--journal-url", journalUrl, "--port", Integer.toString(freePort()),
          "--http-port", Integer.toString(freePort()), "--data-dir", dir.resolve("data").toString(), "--log-dir",
          dir.resolve("logs").toString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void assertOneLine(Cli.Run run, int code, String says) {
    assertEquals(code, run.code(), run.toString());
    assertEquals(1, run.err().lines().count(), run.toString());
    assertTrue(run.err().startsWith("baton: ") && run.err().contains(says), run.toString());
    assertFalse(run.err().contains(SECRET), "the password is shown: " + run);
    assertEquals("", run.out(), run.toString());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
