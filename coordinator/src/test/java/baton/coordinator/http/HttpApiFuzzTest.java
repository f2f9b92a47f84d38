package baton.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import baton.coordinator.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of random and mutated specs against the real API: every answer is JSON with 201, 400 or 413, and the
 * API still answers /api/health afterwards. The seed is fixed (-Dbaton.fuzz.seed=N for another); a failure prints
 * the seed, the round and the input.
 */
final class HttpApiFuzzTest {

  private static final long SEED = Long.getLong("baton.fuzz.seed", 20240611L);
  private static final int ROUNDS = 3_000;
  private static final Duration BUDGET = Duration.ofSeconds(15);
  private static final Set<Integer> EXPECTED = Set.of(201, 400, 413);
  private static final List<String> SHARDS = List.of("{", "}", "[", "]", "=", ":", ",", "\"", "\"\"\"", "${", ".",
      "#", "\n", "+=", "include file(\"/etc/hostname\")", "\\", "\u0000", "é", "1e999", "99999999999999999999",
      "-1", "\"../../../etc/passwd\"", "\"/**\"", " op = nope ", " op = write-file, dir = \"/\" ",
      " op = delay, millis = 86400000 ", "[".repeat(100), "a.".repeat(50) + "a = 1");

  @TempDir
  Path dir;

  @Test
  void submit_ofRandomAndMutatedSpecs_answersJson201Or400Or413AndKeepsServing() throws Exception {
    Path examples = copyExamples(dir.resolve("examples"));
    List<String> texts = new ArrayList<>();
    try (Stream<Path> files = Files.list(examples)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".conf")).sorted().toList()) {
        texts.add(Files.readString(file, StandardCharsets.UTF_8));
      }
    }
    // Few items per job, so the jobs that get through stay small while the fuzzing goes on.
    Map<String, Object> settings = Map.of("baton.io.roots", List.of(dir.toString()),
        "baton.job.max-items", 200, "baton.http.max-spec-bytes", "16KiB");
    Random random = new Random(SEED);
    int round = 0;
    int accepted = 0;
    try (ApiServer api = new ApiServer(settings, dir.resolve("logs"))) {
      Instant deadline = Instant.now().plus(BUDGET);
      for (; round < ROUNDS && Instant.now().isBefore(deadline); round++) {
        String input = random.nextInt(50) == 0 ? "x".repeat(20_000) : mutate(random, texts);
        HttpResponse<String> response = api.submit(input, examples);
        String problem = problem(response);
        if (problem != null) {
          fail("seed " + SEED + ", round " + round + ": " + problem + "; input saved in " + save(round, input)
              + ":\n" + (input.length() > 2000 ? input.substring(0, 2000) + "..." : input));
        }
        accepted += response.statusCode() == 201 ? 1 : 0;
      }
      HttpResponse<String> health = api.get("/api/health");
      assertEquals(200, health.statusCode(), health.body());
    }
    System.out.printf("API fuzz: seed %d, %d requests, %d accepted%n", SEED, round, accepted);
    assertTrue(round >= 1000, "only " + round + " requests in " + BUDGET);
  }

  private static String problem(HttpResponse<String> response) {
    if (!EXPECTED.contains(response.statusCode())) {
      return "status " + response.statusCode() + " " + response.body();
    }
    if (!response.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
      return "not JSON: " + response.headers();
    }
    try {
      JsonNode body = Json.mapper().readTree(response.body());
      boolean fits = response.statusCode() == 201 ? body.hasNonNull("id") : body.hasNonNull("error");
      return fits ? null : "unexpected body " + response.body();
    } catch (IOException e) {
      return "unreadable JSON " + response.body();
    }
  }

  private static String mutate(Random random, List<String> texts) {
    StringBuilder spec = new StringBuilder(texts.get(random.nextInt(texts.size())));
    int edits = 1 + random.nextInt(random.nextBoolean() ? 3 : 30);
    for (int i = 0; i < edits; i++) {
      int at = spec.isEmpty() ? 0 : random.nextInt(spec.length());
      switch (random.nextInt(3)) {
        case 0 -> {
          if (!spec.isEmpty()) {
            spec.setCharAt(at, (char) (spec.charAt(at) ^ (1 << random.nextInt(7))));
          }
        }
        case 1 -> spec.insert(at, SHARDS.get(random.nextInt(SHARDS.size())));
        default -> {
          if (!spec.isEmpty()) {
            spec.delete(at, Math.min(spec.length(), at + 1 + random.nextInt(8)));
          }
        }
      }
    }
    return spec.toString();
  }

  private static Path save(int round, String input) {
    try {
      return Files.writeString(Path.of("target", "api-fuzz-failure-" + SEED + "-" + round + ".conf"), input)
          .toAbsolutePath();
    } catch (IOException e) {
      return Path.of("(not saved: " + e.getMessage() + ")");
    }
  }

  /** The repository's examples, copied so that globs and outputs stay in a temporary folder. */
  private static Path copyExamples(Path target) throws IOException {
    Path source = Path.of("..", "examples").toAbsolutePath().normalize();
    try (Stream<Path> walk = Files.walk(source)) {
      for (Path from : walk.sorted(Comparator.naturalOrder()).toList()) {
        Path relative = source.relativize(from);
        if (relative.startsWith("out")) {
          continue;
        }
        Path to = target.resolve(relative.toString());
        if (Files.isDirectory(from)) {
          Files.createDirectories(to);
        } else {
          Files.copy(from, to);
        }
      }
    }
    return target;
  }
}
