package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --tls DIR} on {@code baton coordinator} and {@code baton node}: a folder they cannot use stops them. */
final class TlsOptionsTest {

  @TempDir
  Path dir;

  private Path ca;
  private Path member;

  @BeforeEach
  void makeFolders() {
    assumeTrue(System.getenv("BATON_TLS") == null, "BATON_TLS is set in this environment");
    ca = dir.resolve("ca");
    member = dir.resolve("member");
    assertEquals(0, Cli.run("certs", "init", ca.toString()).code());
    assertEquals(0, Cli.run("certs", "issue", ca.toString(), "member", "--out", member.toString()).code());
  }

  @Test
  void coordinator_tlsFolderMissing_oneClearLineExit2() {
    Cli.Run run = start("coordinator", "--port", "1", "--tls", dir.resolve("nope").toString());

    assertOneClearLine(run, "--tls " + dir.resolve("nope") + ": no such folder");
  }

  @Test
  void coordinator_passwordWrong_oneClearLineExit2() throws Exception {
    Files.writeString(member.resolve("password"), "wrong\n");

    Cli.Run run = start("coordinator", "--port", "1", "--tls", member.toString());

    assertOneClearLine(run, "the password in " + member.resolve("password") + " does not open");
  }

  @Test
  void node_keyStoreMissing_oneClearLineExit2() throws Exception {
    Files.delete(member.resolve("keystore.p12"));

    Cli.Run run = start("node", "--tls", member.toString());

    assertOneClearLine(run, "no keystore.p12 in " + member);
  }

  @Test
  void node_certificateNotForItsHost_oneClearLineExit2() {
    Cli.Run run = start("node", "--host", "127.0.0.2", "--tls", member.toString());

    assertOneClearLine(run, "is for 127.0.0.1, localhost, not for --host 127.0.0.2");
  }

  @Test
  void node_folderUnreadable_oneClearLineExit2() throws Exception {
    assumeFalse("root".equals(System.getProperty("user.name")), "root reads every file");
    Files.setPosixFilePermissions(member.resolve("password"), PosixFilePermissions.fromString("---------"));

    Cli.Run run = start("node", "--tls", member.toString());

    assertOneClearLine(run, "permission denied");
  }

  /** Runs a process command that must refuse to start; a bound guards against one that starts after all. */
  private static Cli.Run start(String... args) {
    return assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Cli.run(args));
  }

  private static void assertOneClearLine(Cli.Run run, String words) {
    assertEquals(2, run.code(), run.toString());
    assertEquals(1, run.err().strip().lines().count(), run.toString());
    assertTrue(run.err().contains(words), run.toString());
    assertFalse(run.err().contains("Exception") || run.err().contains("\tat "), run.toString());
  }
}
