package baton.bench;

/** One way to run a workload. A contender may keep resources (an actor system, processes) until closed. */
interface Contender extends AutoCloseable {

  /** What one run did: how many items, in how long, and the most heap it used (-1 when not known). */
  record Run(long items, long nanos, long peakHeapBytes, String note) {
    double itemsPerSecond() {
      return items * 1e9 / nanos;
    }
  }

  String name();

  /**
   * The items this contender runs of the workload: all of them, or fewer where a thread held per waiting item
   * would take minutes; items per second is what is compared.
   */
  default long items(Workload workload, double budgetSeconds) throws Exception {
    return workload.items();
  }

  /** Why {@link #items} may be fewer than the workload's, for the report. */
  default String fewerItemsBecause() {
    return "a thread per waiting item";
  }

  Run run(Workload workload) throws Exception;

  @Override
  default void close() throws Exception {
  }

  /** Items that keep {@code threads} sleeping threads busy for about the budget. */
  static long itemsForThreads(Workload workload, int threads, double budgetSeconds) {
    // A small-heap workload is Baton's memory test: a thread contender keeps every result in a map, so it runs a
    // tenth of the items in the bench's own heap, for its rate.
    long all = workload.smallHeap() ? Math.max(1, workload.items() / 10) : workload.items();
    long waitMillis = workload.delayMillis();
    if (waitMillis == 0) {
      return all;
    }
    long fit = (long) Math.ceil(budgetSeconds * 1000 * threads / waitMillis);
    return Math.max(1, Math.min(all, fit));
  }
}
