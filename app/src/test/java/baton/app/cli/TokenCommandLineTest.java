package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import baton.coordinator.http.ApiServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line and the API token: the coordinator refuses to listen openly, clients send the token. */
final class TokenCommandLineTest {

  @TempDir
  Path dir;

  private record Run(int code, String out, String err) {
  }

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = BatonCommand.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int code = commandLine.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void coordinator_beyondLoopbackWithoutToken_refusesWithExit2() {
    assumeTrue(System.getenv("BATON_TOKEN") == null, "BATON_TOKEN is set in this environment");
    Run run = run("coordinator", "--host", "192.0.2.1", "--log-dir", dir.toString());
    assertEquals(2, run.code(), run.err());
    assertTrue(run.err().contains("not a loopback address") && run.err().contains("BATON_TOKEN"), run.err());
    assertEquals(1, run.err().strip().lines().count(), run.err());
  }

  @Test
  void clientCommand_withTokenOption_getsThrough_andWithoutIt_exits2() {
    assumeTrue(System.getenv("BATON_TOKEN") == null, "BATON_TOKEN is set in this environment");
    try (ApiServer api = new ApiServer(Map.of("baton.http.token", "t0ken"), dir)) {
      String url = api.base.toString();
      Run allowed = run("list", "--coordinator", url, "--token", "t0ken", "--json");
      assertEquals(0, allowed.code(), allowed.err());
      assertEquals("[]", allowed.out().strip());
      Run refused = run("list", "--coordinator", url, "--json");
      assertEquals(2, refused.code(), refused.err());
      assertTrue(refused.err().contains("token"), refused.err());
      Run wrong = run("list", "--coordinator", url, "--token", "nope");
      assertEquals(2, wrong.code(), wrong.err());
      assertTrue(wrong.err().contains("wrong token"), wrong.err());
    }
  }
}
