package baton.coordinator.spec;

import java.util.List;
import java.util.Random;

/** Makes random and mutated job specs from a seed, so that a failing input can be made again. */
final class SpecFuzz {

  private static final List<String> OPS = List.of("read-file", "write-file", "http-get", "delay", "sha256", "gzip",
      "grep", "word-count", "nope", "", "read-file.x", "\"sha256\"");
  private static final List<String> KEYS = List.of("name", "input", "input.files", "input.lines", "input.range",
      "from", "to", "stages", "output", "max-failed-items", "retries", "item-timeout", "op", "parallelism", "batch",
      "rounds", "pattern", "millis", "dir", "max-bytes", "timeout", "a.b.c", "\"quoted key\"");
  private static final List<String> VALUES = List.of("1", "0", "-1", "1e999", "-1e999", "1e30", "NaN",
      "99999999999999999999999", "9223372036854775807", "-9223372036854775808", "\"\"", "true", "null", "[]", "{}",
      "64MiB", "1e300 TiB", "99999999999999999999 days", "60s", "-5s", "\"data/*.txt\"", "\"../../../etc/passwd\"",
      "\"/etc/*\"", "\"/**\"", "\"out/x.tsv\"", "\"[\"", "\"(?i\"", "${?HOME}", "${name}", "\"\\u0000\"",
      "\"" + "x".repeat(300) + "\"");
  private static final List<String> SHARDS = List.of("{", "}", "[", "]", "=", ":", ",", "\"", "\"\"\"", "${", ".",
      "#", "//", "\n", " ", "+=", "include ", "include file(\"/etc/hostname\")", "\\", "\u0000", "\uFFFF", "é", "\t",
      "?", "$", "@", "'");

  private final Random random;

  SpecFuzz(long seed) {
    this.random = new Random(seed);
  }

  /** One input: a mutated example, a random spec, or random nesting, at about equal rates. */
  String next(List<String> examples) {
    return switch (random.nextInt(4)) {
      case 0, 1 -> mutate(examples.get(random.nextInt(examples.size())));
      case 2 -> randomSpec();
      default -> nesting();
    };
  }

  private String mutate(String text) {
    StringBuilder spec = new StringBuilder(text);
    int edits = 1 + random.nextInt(random.nextBoolean() ? 4 : 40);
    for (int i = 0; i < edits; i++) {
      int at = spec.isEmpty() ? 0 : random.nextInt(spec.length());
      switch (random.nextInt(6)) {
        case 0 -> {
          if (!spec.isEmpty()) {
            spec.setCharAt(at, (char) (spec.charAt(at) ^ (1 << random.nextInt(7))));
          }
        }
        case 1 -> spec.insert(at, pick(SHARDS));
        case 2 -> {
          if (!spec.isEmpty()) {
            spec.delete(at, Math.min(spec.length(), at + 1 + random.nextInt(8)));
          }
        }
        case 3 -> spec.insert(at, "\n" + pick(KEYS) + " = " + pick(VALUES) + "\n");
        case 4 -> spec.insert(at, "\n" + "stages += { op = " + pick(OPS) + ", " + pick(KEYS) + " = " + pick(VALUES)
            + " }\n");
        default -> {
          String replaced = spec.toString()
              .replaceFirst("\\b\\d+\\b", java.util.regex.Matcher.quoteReplacement(pick(VALUES)));
          spec.setLength(0);
          spec.append(replaced);
        }
      }
    }
    return spec.toString();
  }

  private String randomSpec() {
    StringBuilder spec = new StringBuilder();
    if (random.nextBoolean()) {
      spec.append("name = ").append(pick(VALUES)).append('\n');
    }
    spec.append(switch (random.nextInt(4)) {
      case 0 -> "input.files = " + pick(VALUES);
      case 1 -> "input.lines = " + pick(VALUES);
      case 2 -> "input.range { from = " + pick(VALUES) + ", to = " + pick(VALUES) + " }";
      default -> "input = " + pick(VALUES);
    }).append('\n');
    spec.append("stages = [");
    int stages = random.nextInt(4);
    for (int i = 0; i < stages; i++) {
      spec.append(" { op = ").append(pick(OPS));
      int params = random.nextInt(3);
      for (int p = 0; p < params; p++) {
        spec.append(", ").append(pick(KEYS)).append(" = ").append(pick(VALUES));
      }
      spec.append(" }");
    }
    spec.append(" ]\n");
    for (int i = random.nextInt(3); i > 0; i--) {
      spec.append(pick(KEYS)).append(" = ").append(pick(VALUES)).append('\n');
    }
    return spec.toString();
  }

  private String nesting() {
    int depth = random.nextInt(random.nextBoolean() ? 40 : 5000);
    StringBuilder spec = new StringBuilder("input.range { from = 1, to = 3 }\nstages = [ { op = sha256 } ]\nx = ");
    StringBuilder closing = new StringBuilder();
    for (int i = 0; i < depth; i++) {
      switch (random.nextInt(3)) {
        case 0 -> {
          spec.append("{ a = ");
          closing.insert(0, " }");
        }
        case 1 -> {
          spec.append('[');
          closing.insert(0, ']');
        }
        default -> {
          spec.append("{ a.b.c = ");
          closing.insert(0, " }");
        }
      }
    }
    spec.append("1");
    if (random.nextInt(4) > 0) {
      spec.append(closing);
    }
    return spec.toString();
  }

  private String pick(List<String> choices) {
    return choices.get(random.nextInt(choices.size()));
  }
}
