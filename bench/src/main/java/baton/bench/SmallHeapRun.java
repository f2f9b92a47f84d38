package baton.bench;

import baton.app.Embedded;
import baton.app.cli.JvmDefaults;
import baton.coordinator.api.JobStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The child JVM of a small-heap run ({@code -Xmx256m}): Baton embedded runs the workload once to warm up on a tenth
 * of the items, then once in full with an output file, and prints one {@link #RESULT} line: the time, the peak
 * heap, the heap's low points in the first and the second half of the run (flat memory keeps them level) and the
 * output's line count.
 */
final class SmallHeapRun {

  static final String RESULT = "RESULT ";

  /** What the child reports. */
  record Result(long items, long nanos, long peakHeapBytes, long lowFirstHalf, long lowSecondHalf, long lines) {
    String line() {
      return RESULT + items + " " + nanos + " " + peakHeapBytes + " " + lowFirstHalf + " " + lowSecondHalf + " "
          + lines;
    }

    static Result parse(String line) {
      String[] f = line.substring(RESULT.length()).trim().split(" ");
      return new Result(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
          Long.parseLong(f[4]), Long.parseLong(f[5]));
    }

    String note() {
      return "heap " + Workload.BIG_HEAP_MB + " MB; low points " + lowFirstHalf / (1 << 20) + " MB (1st half), "
          + lowSecondHalf / (1 << 20) + " MB (2nd half); output " + lines + " lines";
    }
  }

  private SmallHeapRun() {
  }

  public static void main(String[] args) throws Exception {
    JvmDefaults.apply();
    Workload workload = Workload.named(args[0], false).withItems(Long.parseLong(args[1]));
    Path output = Path.of(args[2]);
    try (HeapSampler heap = new HeapSampler(); Embedded baton = EmbeddedContender.start(Path.of(args[3]))) {
      Workload warmUp = workload.withItems(Math.max(1, workload.items() / 10));
      EmbeddedContender.check(EmbeddedContender.runJob(baton, warmUp, Optional.of(output)), warmUp);
      heap.reset();
      long start = System.nanoTime();
      JobStatus status = EmbeddedContender.runJob(baton, workload, Optional.of(output));
      long nanos = System.nanoTime() - start;
      EmbeddedContender.check(status, workload);
      long lines = EmbeddedContender.countLines(output);
      if (lines != workload.items()) {
        throw new IllegalStateException("the output has " + lines + " lines, not " + workload.items());
      }
      List<Long> lows = heap.troughs();
      int half = lows.size() / 2;
      System.out.println(new Result(workload.items(), nanos, heap.peak(), maxOf(lows.subList(0, half)),
          maxOf(lows.subList(half, lows.size())), lines).line());
    }
    System.exit(0);
  }

  private static long maxOf(List<Long> values) {
    return values.stream().mapToLong(Long::longValue).max().orElse(-1);
  }
}
