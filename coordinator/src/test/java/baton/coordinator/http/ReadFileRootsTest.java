package baton.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import baton.coordinator.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** read-file keys from a lines input are only known at run time: one outside the roots fails that item alone. */
final class ReadFileRootsTest {

  @TempDir
  Path dir;

  @Test
  void readFile_ofKeyOutsideRoots_failsThatItemAlone() throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(root.resolve("in.txt"), "inside");
    Files.writeString(outside.resolve("secret.txt"), "secret");
    Files.writeString(root.resolve("keys.txt"), "in.txt\n../outside/secret.txt\n");
    String spec = "input.lines = \"keys.txt\"\nstages = [ { op = read-file } ]\nmax-failed-items = 1\nretries = 0\n";
    try (ApiServer api = new ApiServer(Map.of("baton.io.roots", List.of(root.toString())), dir.resolve("logs"))) {
      HttpResponse<String> submitted = api.submit(spec, root);
      assertEquals(201, submitted.statusCode(), submitted.body());
      String id = Json.mapper().readTree(submitted.body()).get("id").asText();
      JsonNode status = awaitFinal(api, id, Duration.ofSeconds(20));
      assertEquals("SUCCEEDED", status.get("state").asText(), status.toString());
      assertEquals(1, status.get("items").get("succeeded").asInt(), status.toString());
      assertEquals(1, status.get("items").get("failed").asInt(), status.toString());
    }
  }

  private static JsonNode awaitFinal(ApiServer api, String id, Duration patience) throws Exception {
    Instant deadline = Instant.now().plus(patience);
    String last = "(no answer)";
    while (Instant.now().isBefore(deadline)) {
      HttpResponse<String> response = api.get("/api/jobs/" + id);
      last = response.body();
      JsonNode status = Json.mapper().readTree(last);
      String state = status.path("state").asText();
      if (state.equals("SUCCEEDED") || state.equals("FAILED") || state.equals("CANCELLED")) {
        return status;
      }
      // Polling the API paces the loop; each answer takes a round trip through the actors.
      Thread.onSpinWait();
    }
    return fail("job " + id + " did not end in " + patience + "; last status " + last);
  }
}
