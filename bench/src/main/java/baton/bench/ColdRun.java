package baton.bench;

import java.io.PrintStream;

/**
 * The lock pool alone on one workload, once, in the JVM that starts it: what a Java user's own pool does in a cold
 * process, to set against a cold {@code bin/baton run} of the same workload ({@code .ci/perf-table}, row
 * {@code cold-run}).
 *
 * <pre>java -cp bench/target/baton-bench.jar baton.bench.ColdRun cpu-light [ITEMS]</pre>
 */
public final class ColdRun {

  private ColdRun() {
  }

  public static void main(String[] args) throws Exception {
    run(args, System.out);
  }

  static void run(String[] args, PrintStream out) throws Exception {
    Workload workload = Workload.named(args.length > 0 ? args[0] : "cpu-light", false);
    if (args.length > 1) {
      workload = workload.withItems(Long.parseLong(args[1]));
    }
    HeapSampler heap = new HeapSampler();
    try {
      Contender.Run run = new ThreadContenders.LockPool(Runtime.getRuntime().availableProcessors(), heap)
          .run(workload);
      out.printf("lock pool: %d items of %s in %d ms%n", run.items(), workload.name(), run.nanos() / 1_000_000);
    } finally {
      heap.close();
    }
  }
}
