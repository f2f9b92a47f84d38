package baton.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client command is a plain HTTP client: it starts no logging set-up (so it leaves no log files where it runs) and
 * no actor system, which would cost it most of its start-up.
 */
final class ClientStartupIT {

  @TempDir
  Path dir;

  @Test
  void list_coordinatorDown_writesNoLogsAndStartsNeitherLogbackNorPekko() throws Exception {
    Path classes = dir.resolve("classes.txt");
    Path work = Files.createDirectories(dir.resolve("work"));
    try (BatonProcesses baton = new BatonProcesses(work)) {
      Process list = baton.startWith("list", List.of("-Xlog:class+load=info:file=" + classes),
          "list", "--coordinator", "127.0.0.1:" + BatonProcesses.freePort());

      assertTrue(list.waitFor(Duration.ofSeconds(60).toMillis(), TimeUnit.MILLISECONDS), "list did not end");
      String printed = Files.readString(work.resolve("list.out"));
      assertEquals(3, list.exitValue(), printed);
      assertTrue(printed.contains("cannot reach the coordinator"), printed);
    }
    assertFalse(Files.exists(work.resolve("logs")), "a client command made a log folder where it ran");
    String loaded = Files.readString(classes);
    for (String started : List.of("ch.qos.logback.classic.joran.JoranConfigurator ",
        "ch.qos.logback.core.FileAppender ", "org.apache.pekko.actor.ActorSystemImpl ")) {
      assertFalse(loaded.contains(started), started.strip() + " was loaded by a client command");
    }
  }

  @Test
  void list_withTls_readsTheTrustStoreWithoutPekkoOrBouncyCastle() throws Exception {
    Path ca = dir.resolve("ca");
    Path member = dir.resolve("member");
    assertEquals(0, BatonProcesses.cli("certs", "init", ca.toString()).code());
    assertEquals(0, BatonProcesses.cli("certs", "issue", ca.toString(), "member", "--out", member.toString()).code());
    Path classes = dir.resolve("tls-classes.txt");
    Path work = Files.createDirectories(dir.resolve("tls-work"));
    try (BatonProcesses baton = new BatonProcesses(work)) {
      Process list = baton.startWith("list", List.of("-Xlog:class+load=info:file=" + classes),
          "list", "--coordinator", "127.0.0.1:" + BatonProcesses.freePort(), "--tls", member.toString());

      assertTrue(list.waitFor(Duration.ofSeconds(60).toMillis(), TimeUnit.MILLISECONDS), "list did not end");
      String printed = Files.readString(work.resolve("list.out"));
      assertEquals(3, list.exitValue(), printed);
      assertTrue(printed.contains("cannot reach the coordinator at https://"), printed);
    }
    String loaded = Files.readString(classes);
    assertTrue(loaded.contains("baton.app.tls.TlsFolder "), "the client did not read its --tls folder");
    for (String heavy : List.of("org.apache.pekko.actor.ActorSystemImpl ", " org.apache.pekko.remote.",
        " org.bouncycastle.", " ch.qos.logback.classic.joran.")) {
      assertFalse(loaded.contains(heavy), heavy.strip() + " was loaded by a client command with --tls");
    }
  }
}
