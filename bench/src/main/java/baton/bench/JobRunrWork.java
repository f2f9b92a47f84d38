package baton.bench;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What JobRunr's jobs call: JobRunr stores a job as a class, a method and its arguments and calls it by
 * reflection on one of its workers, so these are public static methods. A run registers its workload and a map for
 * its results here, under its own id, and takes them out when it is over.
 */
public final class JobRunrWork {

  private static final Map<String, Workload> WORKLOADS = new ConcurrentHashMap<>();
  private static final Map<String, Map<String, byte[]>> RESULTS = new ConcurrentHashMap<>();

  private JobRunrWork() {
  }

  /** One item of a registered run through every step of its workload, as the thread contenders run it. */
  public static void item(String run, String key) throws InterruptedException {
    Workload workload = WORKLOADS.get(run);
    if (workload == null) {
      throw new IllegalStateException("no run " + run);
    }
    RESULTS.get(run).put(key, Steps.run(workload, key));
  }

  /** One tiny job of the many-jobs workload: the numbers 1..items, each hashed once, as Baton's job does. */
  public static void tinyJob(long items) {
    long length = 0;
    for (long n = 1; n <= items; n++) {
      length += Steps.sha256(Long.toString(n).getBytes(StandardCharsets.UTF_8), 1).length;
    }
    if (length != items * 64) {
      throw new IllegalStateException("a SHA-256 in hex has 64 characters, these had " + length + " in all");
    }
  }

  static Map<String, byte[]> register(String run, Workload workload) {
    Map<String, byte[]> results = new ConcurrentHashMap<>();
    RESULTS.put(run, results);
    WORKLOADS.put(run, workload);
    return results;
  }

  static void forget(String run) {
    WORKLOADS.remove(run);
    RESULTS.remove(run);
  }
}
