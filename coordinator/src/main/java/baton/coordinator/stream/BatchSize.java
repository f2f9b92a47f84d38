package baton.coordinator.stream;

import baton.protocol.spec.JobSpec;
import java.time.Duration;

/**
 * How many items a cpu stage puts in its next batch. A stage whose spec sets {@code batch} (or a {@code rate}) keeps
 * it; any other starts at the default and aims at about {@link Limits#time} of a worker's time per batch, from what
 * the batches before took: tiny items travel in large batches, so that a batch's round trip to a node is worth its
 * while, and slow items in small ones, so that a small job's batch never waits long behind a big job's on a worker.
 * The size changes at most twofold per batch measured, to at most {@link Limits#max} items, at least one.
 *
 * <p>Not for sharing between threads: each stream operator that cuts batches owns one.
 */
final class BatchSize {

  /** An adaptive size's bounds: at most {@code max} items, about {@code time} of a worker's time a batch. */
  record Limits(int max, Duration time) {
  }

  private final boolean adaptive;
  private final int max;
  private final double targetNanos;
  private int size;

  private BatchSize(boolean adaptive, int start, int max, Duration time) {
    this.adaptive = adaptive;
    this.size = start;
    this.max = max;
    this.targetNanos = time.toNanos();
  }

  /** The size for {@code stage}: fixed when its spec set {@code batch} or a {@code rate}, adaptive otherwise. */
  static BatchSize of(JobSpec.Stage stage, Limits limits) {
    boolean adaptive = adaptive(stage);
    return new BatchSize(adaptive, adaptive ? Math.min(stage.batch(), limits.max()) : stage.batch(),
        Math.max(limits.max(), 1), limits.time());
  }

  /** The most items a batch of {@code stage} may ever have. */
  static int largest(JobSpec.Stage stage, Limits limits) {
    return adaptive(stage) ? Math.max(limits.max(), 1) : stage.batch();
  }

  private static boolean adaptive(JobSpec.Stage stage) {
    return !stage.fixedBatch() && stage.rate().isEmpty();
  }

  /** Items in the next batch. */
  int next() {
    return size;
  }

  /** A worker took {@code nanos} for a batch of {@code items}; a fixed size ignores it. */
  void took(int items, long nanos) {
    if (!adaptive || items <= 0 || nanos <= 0) {
      return;
    }
    double wanted = targetNanos * items / nanos;
    double bounded = Math.max(size / 2.0, Math.min(size * 2.0, wanted));
    size = (int) Math.max(1, Math.min(max, bounded));
  }
}
