package baton.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One benchmark workload: the numbers {@code 1..items} through a list of steps, the same for every contender.
 * Baton runs it as a job spec with the built-in ops; the other contenders run the steps directly.
 *
 * @param smallHeap Baton runs it in a child JVM with a 256 MB heap, writing an output file
 */
record Workload(String name, long items, List<Step> steps, boolean smallHeap) {

  /** What happens to an item, in order. */
  sealed interface Step permits Delay, Sha256 {
  }

  /** Waits; Baton's {@code delay} op holds no thread, a thread contender sleeps. */
  record Delay(long millis, int parallelism) implements Step {
  }

  /** Lowercase hex SHA-256, each round hashing the previous round's hex text, as Baton's {@code sha256} op. */
  record Sha256(int rounds) implements Step {
  }

  static final long BIG_HEAP_MB = 256;

  /** The workloads of the issue; {@code quick} runs a fifth to a tenth of the items. */
  static List<Workload> standard(boolean quick) {
    return List.of(
        new Workload("cpu-heavy", quick ? 800 : 4000, List.of(new Sha256(2000)), false),
        new Workload("cpu-light", quick ? 60_000 : 300_000, List.of(new Sha256(1)), false),
        new Workload("io-latency", 5000, List.of(new Delay(100, 1000)), false),
        new Workload("mixed", quick ? 400 : 2000,
            List.of(new Delay(20, 500), new Sha256(2000), new Delay(20, 500)), false),
        new Workload("big", quick ? 200_000 : 2_000_000, List.of(new Delay(1, 1000), new Sha256(1)), true));
  }

  static Workload named(String name, boolean quick) {
    return standard(quick).stream().filter(w -> w.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no workload " + name));
  }

  Workload withItems(long count) {
    return new Workload(name, count, steps, smallHeap);
  }

  /** The milliseconds one item spends waiting, over all its steps. */
  long delayMillis() {
    return steps.stream().mapToLong(step -> step instanceof Delay delay ? delay.millis() : 0).sum();
  }

  /** The most items any waiting step has in flight; 0 when none waits. */
  int ioParallelism() {
    return steps.stream().mapToInt(step -> step instanceof Delay delay ? delay.parallelism() : 0).max().orElse(0);
  }

  boolean cpuOnly() {
    return steps.stream().allMatch(step -> step instanceof Sha256);
  }

  /** The job spec Baton runs; the output, if any, as an absolute path. */
  String spec(Optional<Path> output) {
    StringBuilder text = new StringBuilder();
    text.append("name = \"").append(name).append("\"\n");
    text.append("input.range { from = 1, to = ").append(items).append(" }\n");
    text.append("stages = [\n");
    for (Step step : steps) {
      if (step instanceof Delay delay) {
        text.append("  { op = delay, millis = ").append(delay.millis()).append(", parallelism = ")
            .append(delay.parallelism()).append(" }\n");
      } else {
        text.append("  { op = sha256, rounds = ").append(((Sha256) step).rounds()).append(" }\n");
      }
    }
    text.append("]\n");
    output.ifPresent(path -> text.append("output = \"").append(path.toAbsolutePath().toString()
        .replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n"));
    return text.toString();
  }
}
