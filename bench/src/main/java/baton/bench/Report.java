package baton.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/** The bench's results as rows, and their text table and CSV. */
final class Report {

  /**
   * One workload on one contender.
   *
   * @param itemsPerSecond the median of the rounds
   * @param vsLockPool items per second over the lock-based pool's
   * @param vsLimit items per second over the physical limit, where the workload has one
   * @param peakHeapBytes the most over the rounds; -1 when not known
   */
  record Row(String workload, String contender, long items, int rounds, double itemsPerSecond,
      OptionalDouble vsLockPool, OptionalDouble vsLimit, long peakHeapBytes, String note) {
  }

  /**
   * One contender's latencies in the many-jobs workload.
   *
   * @param workload {@link ManyJobs#NAME} (a burst) or {@link ManyJobs#ONE_JOB}
   * @param measure whose clock: the system's (taken to finished) or the client's (sent to seen succeeded)
   */
  record LatencyRow(String workload, String contender, String measure, Latencies.Percentiles percentiles) {
  }

  static final String IN_SYSTEM = "taken -> finished";
  static final String SEEN = "sent -> seen succeeded";

  private static final String[] HEADER =
      {"workload", "contender", "items", "rounds", "items/s", "vs lock pool", "vs limit", "peak heap MB", "note"};

  private Report() {
  }

  /** The median; the mean of the two middle values for an even count. */
  static double median(List<Double> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("no values");
    }
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int middle = sorted.size() / 2;
    return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
  }

  static String table(List<Row> rows) {
    List<String[]> cells = new ArrayList<>();
    cells.add(HEADER);
    for (Row row : rows) {
      cells.add(cells(row));
    }
    int[] widths = new int[HEADER.length];
    for (String[] line : cells) {
      for (int i = 0; i < line.length; i++) {
        widths[i] = Math.max(widths[i], line[i].length());
      }
    }
    StringBuilder text = new StringBuilder();
    for (int n = 0; n < cells.size(); n++) {
      String[] line = cells.get(n);
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < line.length; i++) {
        boolean number = i >= 2 && i <= 7;
        String cell = number ? pad(line[i], widths[i], true) : pad(line[i], widths[i], false);
        out.append(i == 0 ? "" : "  ").append(i == line.length - 1 ? line[i] : cell);
      }
      text.append(out.toString().stripTrailing()).append('\n');
      if (n == 0) {
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < widths.length; i++) {
          rule.append(i == 0 ? "" : "  ").append("-".repeat(Math.max(widths[i], i == widths.length - 1 ? 4 : 0)));
        }
        text.append(rule).append('\n');
      }
    }
    return text.toString();
  }

  static String csv(List<Row> rows) {
    StringBuilder text = new StringBuilder(
        "workload,contender,items,rounds,items_per_s,vs_lock_pool,vs_limit,peak_heap_mb,note\n");
    for (Row row : rows) {
      text.append(csvField(row.workload())).append(',')
          .append(csvField(row.contender())).append(',')
          .append(row.items()).append(',')
          .append(row.rounds()).append(',')
          .append(String.format(Locale.ROOT, "%.1f", row.itemsPerSecond())).append(',')
          .append(ratio(row.vsLockPool(), "")).append(',')
          .append(ratio(row.vsLimit(), "")).append(',')
          .append(row.peakHeapBytes() < 0 ? "" : Long.toString(megabytes(row.peakHeapBytes()))).append(',')
          .append(csvField(row.note())).append('\n');
    }
    return text.toString();
  }

  /** The latencies as a text table, in milliseconds. */
  static String latencyTable(List<LatencyRow> rows) {
    StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%-14s  %-14s  %-22s  %5s  %8s  %8s  %8s  %8s%n",
        "workload", "contender", "latency (ms)", "jobs", "p50", "p90", "p99", "max"));
    text.append(String.format(Locale.ROOT, "%s%n", "-".repeat(14 + 2 + 14 + 2 + 22 + 2 + 5 + 4 * 10)));
    for (LatencyRow row : rows) {
      Latencies.Percentiles p = row.percentiles();
      text.append(String.format(Locale.ROOT, "%-14s  %-14s  %-22s  %5d  %8s  %8s  %8s  %8s%n", row.workload(),
          row.contender(), row.measure(), p.count(), Latencies.Percentiles.ms(p.p50()),
          Latencies.Percentiles.ms(p.p90()), Latencies.Percentiles.ms(p.p99()), Latencies.Percentiles.ms(p.max())));
    }
    return text.toString();
  }

  static String latencyCsv(List<LatencyRow> rows) {
    StringBuilder text = new StringBuilder("workload,contender,latency,jobs,p50_ms,p90_ms,p99_ms,max_ms\n");
    for (LatencyRow row : rows) {
      Latencies.Percentiles p = row.percentiles();
      text.append(csvField(row.workload())).append(',').append(csvField(row.contender())).append(',')
          .append(csvField(row.measure())).append(',').append(p.count())
          .append(String.format(Locale.ROOT, ",%.3f,%.3f,%.3f,%.3f%n", p.p50(), p.p90(), p.p99(), p.max()));
    }
    return text.toString();
  }

  /**
   * Baton against a peer on each workload both ran: Baton's rate over the peer's, embedded and through node
   * processes, with "wins" at 1.00 and above.
   */
  static String versus(List<Row> rows, String peer) {
    StringBuilder text = new StringBuilder();
    for (Row theirs : rows) {
      if (!theirs.contender().equals(peer)) {
        continue;
      }
      for (Row ours : rows) {
        if (ours.workload().equals(theirs.workload()) && ours.contender().startsWith("baton")) {
          double ratio = ours.itemsPerSecond() / theirs.itemsPerSecond();
          text.append(String.format(Locale.ROOT, "  %-12s %-14s %5.2fx %s (%s vs %s %s/s)%n", theirs.workload(),
              ours.contender(), ratio, ratio >= 1 ? "wins" : "loses", rate(ours.itemsPerSecond()),
              rate(theirs.itemsPerSecond()), theirs.workload().equals(ManyJobs.NAME) ? "jobs" : "items"));
        }
      }
    }
    return text.toString();
  }

  /** Items per second with a thousands separator and no decimals, except below 100. */
  static String rate(double itemsPerSecond) {
    return itemsPerSecond >= 100 ? String.format(Locale.ROOT, "%,.0f", itemsPerSecond)
        : String.format(Locale.ROOT, "%.1f", itemsPerSecond);
  }

  private static String[] cells(Row row) {
    return new String[] {row.workload(), row.contender(), String.format(Locale.ROOT, "%,d", row.items()),
        Integer.toString(row.rounds()), rate(row.itemsPerSecond()), ratio(row.vsLockPool(), "-"),
        ratio(row.vsLimit(), "-"), row.peakHeapBytes() < 0 ? "-" : Long.toString(megabytes(row.peakHeapBytes())),
        row.note()};
  }

  private static String ratio(OptionalDouble ratio, String none) {
    return ratio.isPresent() ? String.format(Locale.ROOT, "%.2f", ratio.getAsDouble()) : none;
  }

  private static long megabytes(long bytes) {
    return Math.round(bytes / (1024.0 * 1024.0));
  }

  private static String pad(String text, int width, boolean right) {
    String space = " ".repeat(Math.max(0, width - text.length()));
    return right ? space + text : text + space;
  }

  private static String csvField(String text) {
    if (text.contains(",") || text.contains("\"") || text.contains("\n")) {
      return '"' + text.replace("\"", "\"\"") + '"';
    }
    return text;
  }
}
