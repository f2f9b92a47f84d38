package baton.app.cli;

/**
 * JVM settings Baton's processes need that only a system property can give, set at the top of {@code main} before
 * anything starts the JDK's common pool.
 */
public final class JvmDefaults {

  static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  private JvmDefaults() {
  }

  /**
   * On one or two cores the JDK's common pool has fewer than two threads, and {@code CompletableFuture} then starts
   * a new thread for every async step. The completion stages of Pekko's asks come from Scala's future converters,
   * which make every step async, so a cpu stage started a thread per batch: half of cpu-light's time on two cores
   * (see README, Performance). Two threads in the common pool end that; a flag on the command line still wins.
   */
  public static void apply() {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
      System.setProperty(COMMON_POOL_PARALLELISM, "2");
    }
  }
}
