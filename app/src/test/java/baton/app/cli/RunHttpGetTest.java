package baton.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import baton.coordinator.ItemCounts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code baton run} with http-get keys the default baton.io.http.allow refuses: each such item fails alone, with
 * a reason in the job log that names the setting, and the job goes on. The keys name loopback only, on a port
 * nothing listens on, so even a missing check sends nothing beyond this host.
 */
@ExtendWith(Cli.RestoresTestLogging.class)
final class RunHttpGetTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @Test
  void run_loopbackKeysWithoutAllowList_eachItemFailsNamingTheSetting_jobSucceeds() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = socket.getLocalPort();
    }
    Files.writeString(dir.resolve("urls.txt"), "http://127.0.0.1:" + closed + "/a\nhttp://localhost:" + closed
        + "/b\n");
    Path spec = Files.writeString(dir.resolve("fetch.conf"), "input.lines = urls.txt\n"
        + "stages = [ { op = http-get } ]\nretries = 0\nmax-failed-items = 2\n");

    Cli.Run run = Cli.run("run", spec.toString(), "--json", "--quiet", "--log-dir", dir.resolve("logs").toString());

    assertEquals(0, run.code(), run.toString());
    JsonNode summary = JSON.readTree(run.out());
    assertEquals("SUCCEEDED", summary.get("state").asText());
    assertEquals(JSON.readTree("{\"total\":2,\"succeeded\":0,\"failed\":2,\"filtered\":0,\"notRun\":0}"),
        summary.get("items"));
    ItemCounts.assertAddUp(summary);
    String log = Files.readString(dir.resolve("logs/jobs/" + summary.get("id").asText() + ".log"));
    assertTrue(log.contains("key http://127.0.0.1:" + closed + "/a in stage 1 (http-get): refused 127.0.0.1:"
        + closed + ": loopback addresses need baton.io.http.allow (see README Limits)"), log);
    assertTrue(log.contains("key http://localhost:" + closed + "/b in stage 1 (http-get): refused localhost:"
        + closed + " ("), log);
  }
}
