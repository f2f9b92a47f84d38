package baton.bench;

import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * Latencies of many jobs in an HdrHistogram (microseconds, three significant digits), and the percentiles the bench
 * reports. A histogram is filled by one thread; threads that record at once each fill their own and
 * {@link #add} them afterwards.
 */
final class Latencies {

  private final Histogram histogram = new Histogram(3);

  void recordNanos(long nanos) {
    histogram.recordValue(Math.max(0, nanos / 1000));
  }

  void add(Latencies other) {
    histogram.add(other.histogram);
  }

  long count() {
    return histogram.getTotalCount();
  }

  Percentiles percentiles() {
    if (histogram.getTotalCount() == 0) {
      throw new IllegalStateException("no latencies recorded");
    }
    return new Percentiles(histogram.getTotalCount(), millis(histogram.getValueAtPercentile(50)),
        millis(histogram.getValueAtPercentile(90)), millis(histogram.getValueAtPercentile(99)),
        millis(histogram.getMaxValue()));
  }

  private static double millis(long micros) {
    return micros / 1000.0;
  }

  /** Milliseconds; within 0.1% of the recorded values (the histogram's precision). */
  record Percentiles(long count, double p50, double p90, double p99, double max) {
    String text() {
      return String.format(Locale.ROOT, "p50 %s, p90 %s, p99 %s, max %s ms (%d jobs)", ms(p50), ms(p90), ms(p99),
          ms(max), count);
    }

    static String ms(double millis) {
      return millis >= 100 ? String.format(Locale.ROOT, "%,.0f", millis) : String.format(Locale.ROOT, "%.1f", millis);
    }
  }
}
