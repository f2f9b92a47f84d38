package baton.coordinator;

import java.time.Duration;

/**
 * When the coordinator compacts an embedded H2's file ({@code baton.journal.h2}). Writes to the journal wait while
 * it compacts, so a compaction that has fallen due ({@code interval} after the last one) waits for a moment without
 * writes ({@code quiet}), and runs regardless once it has waited {@code maxDelay}, so that the file stays small
 * under a load that never pauses.
 */
record CompactionSchedule(Duration interval, Duration quiet, Duration maxDelay) {

  /**
   * How long to wait before compacting; zero to compact now. Times are {@link System#nanoTime()} values.
   *
   * @param lastWrite when the journal was last written
   * @param lastCompaction when the file was last compacted
   */
  Duration wait(long now, long lastWrite, long lastCompaction) {
    long due = lastCompaction + interval.toNanos();
    long quietFrom = Math.max(due, lastWrite + quiet.toNanos());
    long at = Math.min(quietFrom, due + maxDelay.toNanos());
    return Duration.ofNanos(Math.max(0, at - now));
  }
}
