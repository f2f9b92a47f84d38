package baton.coordinator.spec;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import baton.protocol.spec.JobSpec;
import baton.protocol.spec.SpecException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of random and mutated specs: each must end in a JobSpec or a SpecException, nothing else. The seed is
 * fixed; set -Dbaton.fuzz.seed=N to try another, and a failure prints the seed, the round and the input.
 */
final class JobSpecParserFuzzTest {

  private static final long SEED = Long.getLong("baton.fuzz.seed", 20240611L);
  private static final int ROUNDS = 20_000;
  private static final Duration BUDGET = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  @Test
  void parse_ofRandomAndMutatedSpecs_endsInSpecOrSpecException() throws IOException {
    Path examples = copyExamples(dir.resolve("examples"));
    List<String> texts = new ArrayList<>();
    try (Stream<Path> files = Files.list(examples)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".conf")).sorted().toList()) {
        texts.add(Files.readString(file, StandardCharsets.UTF_8));
      }
    }
    assertTrue(texts.size() >= 4, "example specs in " + examples);
    JobSpecParser parser = TestParsers.under(dir);
    SpecFuzz fuzz = new SpecFuzz(SEED);
    Instant deadline = Instant.now().plus(BUDGET);
    int parsed = 0;
    int round = 0;
    for (; round < ROUNDS && Instant.now().isBefore(deadline); round++) {
      String input = fuzz.next(texts);
      try {
        parser.parse(input, "fuzz.conf", examples);
        parsed++;
      } catch (SpecException expected) {
        assertTrue(!expected.getMessage().isBlank(), "empty message");
      } catch (Throwable e) {
        Path saved = Files.writeString(Path.of("target", "fuzz-failure-" + SEED + "-" + round + ".conf"), input);
        fail("seed " + SEED + ", round " + round + ": " + e + " for the input saved in " + saved.toAbsolutePath()
            + ":\n" + (input.length() > 2000 ? input.substring(0, 2000) + "..." : input), e);
      }
    }
    System.out.printf("parser fuzz: seed %d, %d inputs, %d parsed%n", SEED, round, parsed);
    assertTrue(round >= 2000, "only " + round + " inputs in " + BUDGET);
    assertTrue(parsed > 0, "no input parsed at all; the mutations are too wild to reach the checks");
  }

  /** The repository's examples, copied so that globs and outputs stay in a temporary folder. */
  static Path copyExamples(Path target) throws IOException {
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
